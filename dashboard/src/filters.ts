// The page's state in its address: `tab`, `period` (the values of `Period`), `from`, `to`
// (an RFC 3339 instant, or a day YYYY-MM-DD of the reporting zone: `to` then means the end
// of that day), `city`, `specialty`, `lang`; a copied link reopens the same view.

import type { Period, StatsFilter } from "../generated/graphql";
import { zoneMidnight } from "./format";

export const TABS = [
  "overview",
  "requests",
  "financial",
  "satisfaction",
  "technicians",
  "security",
  "trends",
  "realtime",
  "alerts",
  "exports",
  "dashboards",
] as const;
export type Tab = (typeof TABS)[number];

export const PERIODS: Period[] = ["LAST_24H", "LAST_7D", "LAST_30D", "ALL"];

export interface ViewState {
  tab: Tab;
  period: Period;
  from: string | null;
  to: string | null;
  city: string | null;
  specialty: string | null;
  lang: "fr" | "en";
}

export const DEFAULT_STATE: ViewState = {
  tab: "overview",
  period: "LAST_30D",
  from: null,
  to: null,
  city: null,
  specialty: null,
  lang: "fr",
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function validTime(value: string | null): string | null {
  if (!value) return null;
  if (DAY.test(value)) return Number.isNaN(Date.parse(value + "T00:00:00Z")) ? null : value;
  return Number.isNaN(Date.parse(value)) ? null : value;
}

/** The state an address holds; anything unknown falls back to the default. */
export function parseState(search: string): ViewState {
  const q = new URLSearchParams(search);
  const tab = q.get("tab");
  const period = q.get("period");
  const lang = q.get("lang");
  const text = (name: string) => {
    const v = q.get(name)?.trim();
    return v ? v.slice(0, 100) : null;
  };
  return {
    tab: (TABS as readonly string[]).includes(tab ?? "") ? (tab as Tab) : DEFAULT_STATE.tab,
    period: PERIODS.includes(period as Period) ? (period as Period) : DEFAULT_STATE.period,
    from: validTime(q.get("from")),
    to: validTime(q.get("to")),
    city: text("city"),
    specialty: text("specialty"),
    lang: lang === "en" ? "en" : "fr",
  };
}

/** The address of a state, keeping other parameters of `search` (`live`, ...). */
export function stateSearch(state: ViewState, search = ""): string {
  const q = new URLSearchParams(search);
  const set = (name: string, value: string | null, fallback: string | null) => {
    if (value === null || value === fallback) q.delete(name);
    else q.set(name, value);
  };
  set("tab", state.tab, null);
  set("period", state.period, null);
  set("from", state.from, null);
  set("to", state.to, null);
  set("city", state.city, null);
  set("specialty", state.specialty, null);
  set("lang", state.lang, "fr");
  q.delete("token");
  const s = q.toString();
  return s ? "?" + s : "";
}

function instant(value: string, zone: string, end: boolean): string {
  if (!DAY.test(value)) return new Date(value).toISOString();
  const start = zoneMidnight(value, zone);
  if (!end) return start.toISOString();
  // the end of that day: midnight of the next one
  const next = new Date(Date.UTC(+value.slice(0, 4), +value.slice(5, 7) - 1, +value.slice(8, 10) + 1));
  return zoneMidnight(next.toISOString().slice(0, 10), zone).toISOString();
}

/** The GraphQL filter of a state, days read in the reporting zone `zone`. */
export function toFilter(state: ViewState, zone: string): StatsFilter {
  const filter: StatsFilter = { period: state.period };
  if (state.from || state.to) {
    if (state.from) filter.from = instant(state.from, zone, false);
    if (state.to) filter.to = instant(state.to, zone, true);
  }
  if (state.city) filter.city = state.city;
  if (state.specialty) filter.specialty = state.specialty;
  return filter;
}
