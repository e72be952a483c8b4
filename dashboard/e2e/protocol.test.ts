// GraphQL over HTTP as clients from npm speak it, against the gateway the browser tests
// start: the GraphQL Foundation's server audit (graphql-http).

import { describe, expect, inject, it } from "vitest";
import { serverAudits } from "graphql-http";

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
