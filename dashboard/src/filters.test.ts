import { describe, expect, it } from "vitest";
import { DEFAULT_STATE, parseState, stateSearch, toFilter } from "./filters";

describe("filter state in the address", () => {
  it("reads every parameter and falls back on unknown values", () => {
    expect(parseState("?tab=financial&period=ALL&city=Bamako&specialty=plumbing&lang=en")).toEqual({
      ...DEFAULT_STATE,
      tab: "financial",
      period: "ALL",
      city: "Bamako",
      specialty: "plumbing",
      lang: "en",
    });
    expect(parseState("?tab=nope&period=LAST_YEAR&from=garbage")).toEqual(DEFAULT_STATE);
    expect(parseState("")).toEqual(DEFAULT_STATE);
  });
  it("writes a link that reopens the same view, without the token", () => {
    const state = { ...DEFAULT_STATE, tab: "requests" as const, period: "LAST_7D" as const, city: "Ségou" };
    const search = stateSearch(state, "?token=secret&live=5");
    expect(search).not.toContain("token");
    expect(search).toContain("live=5");
    expect(parseState(search)).toEqual(state);
  });
  it("turns the state into a StatsFilter, days read in the reporting zone", () => {
    expect(toFilter({ ...DEFAULT_STATE, period: "ALL" }, "UTC")).toEqual({ period: "ALL" });
    // a custom range of days: from the first midnight to the midnight after the last day
    expect(toFilter({ ...DEFAULT_STATE, from: "2026-11-01", to: "2026-11-24", city: "Bamako" }, "Africa/Nairobi")).toEqual({
      period: "LAST_30D",
      from: "2026-10-31T21:00:00.000Z",
      to: "2026-11-24T21:00:00.000Z",
      city: "Bamako",
    });
    // instants are taken as they are
    expect(toFilter({ ...DEFAULT_STATE, from: "2026-11-01T06:00:00Z", to: null }, "UTC").from).toBe("2026-11-01T06:00:00.000Z");
  });
});
