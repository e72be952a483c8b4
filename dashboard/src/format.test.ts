import { describe, expect, it } from "vitest";
import { change, date, dateTime, hours, integer, money, percent, rating, zoneMidnight } from "./format";

// French spacing: groups and units separated by no-break spaces
const nb = (s: string) => s.replace(/ /g, "\u00a0");

describe("French formatting", () => {
  it("rounds money to the franc on cards and keeps cents in tables, from the exact string", () => {
    expect(money("1250000.49", "fr")).toBe(nb("1 250 000 FCFA"));
    expect(money("1250000.50", "fr")).toBe(nb("1 250 001 FCFA"));
    expect(money("1250000.5", "fr", true)).toBe(nb("1 250 000,50 FCFA"));
    // beyond 2^53 cents a float would lose the last cent: the string does not
    expect(money("123456789012345.67", "fr", true)).toBe(nb("123 456 789 012 345,67 FCFA"));
    expect(money("0", "fr")).toBe(nb("0 FCFA"));
    expect(money("-10.005", "fr", true)).toBe(nb("-10,01 FCFA"));
  });
  it("writes percentages, counts, hours and ratings the French way", () => {
    expect(percent(93.44, "fr")).toBe(nb("93,4 %"));
    expect(percent(100, "fr")).toBe(nb("100,0 %"));
    expect(integer(1234567, "fr")).toBe(nb("1 234 567"));
    expect(hours(12.25, "fr")).toBe(nb("12,3 h"));
    expect(rating(4.318, "fr")).toBe(nb("4,32 / 5"));
  });
  it("has an English form", () => {
    expect(money("1250000.5", "en", true)).toBe(nb("1,250,000.50 FCFA"));
    expect(percent(93.44, "en")).toBe("93.4%");
  });
  it("gives the change against the previous window, or none without a base", () => {
    expect(change(1124, 1000, "fr")).toEqual({ text: nb("▲ 12,4 %"), direction: "up" });
    expect(change("900.00", "1000.00", "fr")).toEqual({ text: nb("▼ 10,0 %"), direction: "down" });
    expect(change(1000, 1000, "fr")).toEqual({ text: nb("= 0,0 %"), direction: "same" });
    expect(change(5, 0, "fr")).toBeNull();
    expect(change(5, null, "fr")).toBeNull();
  });
  it("writes dates in the reporting zone", () => {
    // 23:30 UTC on 23 November is already the 24th in Nairobi (UTC+3)
    expect(date("2026-11-23T23:30:00Z", "Africa/Nairobi", "fr")).toBe("24/11/2026");
    expect(date("2026-11-23T23:30:00Z", "UTC", "fr")).toBe("23/11/2026");
    expect(dateTime("2026-11-23T23:30:00Z", "Africa/Abidjan", "fr")).toBe("23/11/2026 23:30");
  });
  it("finds a zone's midnight, across a change of offset", () => {
    expect(zoneMidnight("2026-11-24", "UTC").toISOString()).toBe("2026-11-24T00:00:00.000Z");
    expect(zoneMidnight("2026-11-24", "Africa/Nairobi").toISOString()).toBe("2026-11-23T21:00:00.000Z");
    // New York: EDT (-4) on 8 March 2026 at midnight (the change is at 2:00), EST the day before
    expect(zoneMidnight("2026-03-08", "America/New_York").toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(zoneMidnight("2026-03-09", "America/New_York").toISOString()).toBe("2026-03-09T04:00:00.000Z");
    expect(zoneMidnight("2026-06-01", "Asia/Kathmandu").toISOString()).toBe("2026-05-31T18:15:00.000Z");
  });
});
