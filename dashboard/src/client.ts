// The GraphQL client: urql over HTTP (one request per tab view) and graphql-ws for the
// subscriptions, both carrying the admin's token.

import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "urql";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";

export interface Gateway {
  client: Client;
  ws: WsClient;
}

export function connect(token: string, base: string = window.location.origin): Gateway {
  const wsUrl = base.replace(/^http/, "ws") + "/graphql/ws";
  const ws = createWsClient({
    url: wsUrl,
    connectionParams: { Authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: Infinity,
    // refused tokens (4401/4403) are final; a restart or network loss is retried
    shouldRetry: (event) => !(event && typeof event === "object" && "code" in event && [4400, 4401, 4403].includes((event as CloseEvent).code)),
  });
  const client = new Client({
    url: base + "/graphql",
    requestPolicy: "cache-first",
    fetchOptions: () => ({ headers: { Authorization: `Bearer ${token}` } }),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { client, ws };
}
