// GraphQL over HTTP as clients from npm speak it, against the gateway the browser tests
// start: the GraphQL Foundation's server audit (graphql-http), then Apollo Client 4 and
// urql, unmodified, with automatic persisted queries and a subscription each.

import { describe, expect, inject, it } from "vitest";
import { serverAudits } from "graphql-http";
import { createHash } from "node:crypto";
import WebSocket from "ws";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { Client as UrqlClient, fetchExchange, subscriptionExchange } from "@urql/core";
import { persistedExchange } from "@urql/exchange-persisted";
import { createClient as createWsClient } from "graphql-ws";

const base = inject("base");

describe("GraphQL over HTTP", () => {
  it("passes the graphql-http server audit with no error and no warning", async () => {
    const results = [];
    for (const audit of serverAudits({ url: `${base}/graphql` })) {
      const result = await audit.fn();
      results.push({ id: audit.id, name: audit.name, status: result.status, reason: result.status === "ok" ? "" : result.reason });
    }
    const notOk = results.filter((r) => r.status !== "ok");
    expect(notOk).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(60);
  });
});

// ---- real clients from npm, unmodified: Apollo Client 4 and urql (@urql/core 6) ----

const admin = inject("adminToken");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const headers = { authorization: `Bearer ${admin}` };

/** Every request the client makes: method, whether it carried the document, status. */
function recordingFetch(log: { method: string; document: boolean; status: number; etag: string | null }[]) {
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await fetch(input, init);
    const url = String(input instanceof Request ? input.url : input);
    const body = typeof init?.body === "string" ? init.body : "";
    log.push({
      method: init?.method ?? "GET",
      document: url.includes("query=") || body.includes('"query"'),
      status: response.status,
      etag: response.headers.get("etag"),
    });
    return response;
  };
}

const REVENUE = `query Revenue($f: StatsFilter) { globalStatistics(filter: $f) { overview { totalRequests totalRevenue } } }`;

async function direct(query: string, variables: object) {
  const r = await fetch(`${base}/graphql`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  return (await r.json()).data;
}

function ws() {
  return createWsClient({ url: `${base.replace("http", "ws")}/graphql/ws`, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${admin}` } });
}

describe("Apollo Client 4", () => {
  it("runs a query with automatic persisted queries by GET, then a subscription", async () => {
    const log: Parameters<typeof recordingFetch>[0] = [];
    const http = new HttpLink({ uri: `${base}/graphql`, headers, fetch: recordingFetch(log) });
    const persisted = new PersistedQueryLink({ sha256, useGETForHashedQueries: true });
    const client = new ApolloClient({ link: ApolloLink.from([persisted, http]), cache: new InMemoryCache() });
    const variables = { f: { period: "LAST_7D", city: "Bamako" } };
    const first = await client.query({ query: gql(REVENUE), variables, fetchPolicy: "network-only" });
    // Apollo adds __typename to every selection
    const plain = JSON.parse(JSON.stringify(first.data, (k, v) => (k === "__typename" ? undefined : v)));
    expect(plain).toEqual(await direct(REVENUE, variables));
    // the hash alone, unknown; then the document with its hash, registered
    expect(log.map((r) => [r.method, r.document, r.status])).toEqual([
      ["GET", false, 200],
      ["POST", true, 200],
    ]);
    log.length = 0;
    const second = await client.query({ query: gql(REVENUE), variables, fetchPolicy: "network-only" });
    expect(second.data).toEqual(first.data);
    // from now on the hash alone, by GET, with an ETag
    expect(log.map((r) => [r.method, r.document, r.status])).toEqual([["GET", false, 200]]);
    expect(log[0].etag).toMatch(/^"[0-9a-f]{32}"$/);

    const subscriptions = new ApolloClient({ link: new GraphQLWsLink(ws()), cache: new InMemoryCache() });
    const live = await new Promise<{ openRequests: number }>((resolve, reject) => {
      const sub = subscriptions
        .subscribe({ query: gql`subscription { liveStats(intervalSeconds: 5) { openRequests asOf } }` })
        .subscribe({
          next: (r) => {
            sub.unsubscribe();
            resolve((r.data as { liveStats: { openRequests: number } }).liveStats);
          },
          error: reject,
        });
    });
    expect(live.openRequests).toBeGreaterThan(0);
    subscriptions.stop();
  });
});

describe("urql (@urql/core 6)", () => {
  it("runs a query with persisted queries by GET, then a subscription", async () => {
    const log: Parameters<typeof recordingFetch>[0] = [];
    const wsClient = ws();
    const client = new UrqlClient({
      url: `${base}/graphql`,
      fetch: recordingFetch(log),
      fetchOptions: { headers },
      exchanges: [
        persistedExchange({ preferGetForPersistedQueries: true, generateHash: async (query) => sha256(query) }),
        fetchExchange,
        subscriptionExchange({
          forwardSubscription: (request) => ({
            subscribe: (sink) => ({ unsubscribe: wsClient.subscribe({ ...request, query: request.query ?? "" }, sink) }),
          }),
        }),
      ],
    });
    const variables = { f: { period: "LAST_30D", specialty: "plumbing" } };
    const first = await client.query(REVENUE, variables, { requestPolicy: "network-only" }).toPromise();
    expect(first.error).toBeUndefined();
    expect(first.data).toEqual(await direct(REVENUE, variables));
    const second = await client.query(REVENUE, variables, { requestPolicy: "network-only" }).toPromise();
    expect(second.data).toEqual(first.data);
    // the last request is the hash alone, by GET
    expect(log.at(-1)).toMatchObject({ method: "GET", document: false, status: 200 });
    const live = await new Promise<{ openRequests: number }>((resolve) => {
      const { unsubscribe } = client
        .subscription("subscription { liveStats(intervalSeconds: 5) { openRequests } }", {})
        .subscribe((r) => {
          if (r.data) {
            unsubscribe();
            resolve(r.data.liveStats);
          }
        });
    });
    expect(live.openRequests).toBeGreaterThan(0);
    await wsClient.dispose();
  });
});
