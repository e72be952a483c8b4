// Each tab rendered from a fixed answer: the numbers shown are the answer's, formatted the
// French way, with their change against `previous` worked out by hand below.

import { describe, expect, it } from "vitest";
import { render, within } from "@testing-library/react";
import { Provider, type Client } from "urql";
import { fromValue, never } from "wonka";
import { Page, type PageContext } from "../context";
import { DEFAULT_STATE, type ViewState } from "../filters";
import { TEXTS } from "../i18n";
import { Financial, Overview, Requests, Satisfaction, Security, Technicians, Trends } from "./StatsTabs";
import { Live } from "./Live";

const nb = (s: string) => s.replace(/ /g, "\u00a0");

const meta = { asOf: "2026-11-24T10:00:00Z", from: "2026-10-25T10:00:00Z", to: "2026-11-24T10:00:00Z", timezone: "Africa/Abidjan", computedAt: "2026-11-24T10:00:00Z", cacheHit: true, stale: false };
const choices = { requests: { byCity: [{ key: "Bamako", total: 3 }, { key: "Ségou", total: 1 }], bySpecialty: [{ key: "plumbing", total: 4 }] } };
const point = (day: number, requests: number, revenue: string) => ({ bucketStart: `2026-11-${String(day).padStart(2, "0")}T00:00:00Z`, requests, completed: requests - 1, revenue, newUsers: 1 });

function client(data: unknown): Client {
  return {
    executeQuery: () => fromValue({ data, stale: false, hasNext: false }),
    executeMutation: () => never,
    executeSubscription: () => never,
  } as unknown as Client;
}

function show(ui: React.ReactNode, data: unknown, state: Partial<ViewState> = {}) {
  const updates: Partial<ViewState>[] = [];
  const page: PageContext = {
    lang: "fr",
    t: TEXTS.fr,
    zone: "Africa/Abidjan",
    state: { ...DEFAULT_STATE, ...state },
    update: (p) => updates.push(p),
    tick: 0,
    onChoices: () => {},
    onZone: () => {},
  };
  render(
    <Provider value={client(data)}>
      <Page.Provider value={page}>{ui}</Page.Provider>
    </Provider>,
  );
  return updates;
}

/** The value and change shown by the card `id`. */
function card(id: string): { value: string; change: string } {
  const el = document.querySelector(`[data-kpi="${id}"]`) as HTMLElement;
  expect(el, `card ${id}`).not.toBeNull();
  return {
    value: el.querySelector("[data-value]")!.textContent!,
    change: el.querySelector("[data-change] [aria-hidden]")?.textContent ?? el.querySelector("[data-change]")?.textContent ?? "",
  };
}

describe("tabs render a fixed answer", () => {
  it("overview: cards with their change, and the daily table", () => {
    const overview = { totalUsers: 1250, activeUsers30d: 800, newUsers30d: 90, totalRequests: 2000, totalRevenue: "1250000.50", avgRating: 4.25 };
    show(<Overview />, {
      choices,
      stats: {
        overview,
        requests: { successRate: 93.44 },
        advanced: { conversionRate: 50, retentionRate: 64, churnRate: 36 },
        trends: { daily: [point(23, 10, "1000.05"), point(24, 12, "2000.10")] },
        meta,
        // 1250/1000 = +25 %; 800/1000 = -20 %; 2000 = 2000; 1250000.50/1000000 = +25.00005 %
        previous: {
          overview: { totalUsers: 1000, activeUsers30d: 1000, newUsers30d: 0, totalRequests: 2000, totalRevenue: "1000000.00", avgRating: 5 },
          requests: { successRate: 80 },
          advanced: { conversionRate: 40, retentionRate: 64, churnRate: 30 },
        },
      },
    });
    expect(card("totalUsers")).toEqual({ value: nb("1 250"), change: nb("▲ 25,0 %") });
    expect(card("activeUsers30d")).toEqual({ value: "800", change: nb("▼ 20,0 %") });
    expect(card("newUsers30d").change).toBe(TEXTS.fr.noPrevious);
    expect(card("totalRequests").change).toBe(nb("= 0,0 %"));
    expect(card("totalRevenue")).toEqual({ value: nb("1 250 001 FCFA"), change: nb("▲ 25,0 %") });
    expect(card("avgRating")).toEqual({ value: nb("4,25 / 5"), change: nb("▼ 15,0 %") });
    expect(card("successRate").value).toBe(nb("93,4 %"));
    // churn rising is bad news: red
    expect(document.querySelector('[data-kpi="churnRate"] [data-change]')!.className).toContain("bad");
    const table = document.querySelector('[data-table="daily"]') as HTMLElement;
    const rows = within(table).getAllByRole("row");
    expect(rows[2].textContent).toBe(nb("24/11/20261211") + nb("2 000,10 FCFA"));
    // the figures' instant, in the reporting zone
    expect(document.querySelector("[data-freshness] time")!.textContent).toBe("24/11/2026 10:00");
  });

  it("requests: states, times and the breakdowns whose keys slice the page", () => {
    const requests = { total: 4, pending: 1, inProgress: 1, completed: 2, cancelled: 0, urgent: 1, successRate: 50, avgResponseTimeHours: 2.25, avgCompletionTimeHours: 10 };
    const updates = show(<Requests />, {
      choices,
      stats: {
        requests: {
          ...requests,
          byCity: [{ key: "Bamako", total: 3, completed: 2, successRate: 66.6667 }, { key: "Ségou", total: 1, completed: 0, successRate: 0 }],
          bySpecialty: [{ key: "plumbing", total: 4, completed: 2, successRate: 50 }],
        },
        meta,
        previous: { requests: { ...requests, total: 5, avgResponseTimeHours: 3 } },
      },
    });
    expect(card("total")).toEqual({ value: "4", change: nb("▼ 20,0 %") });
    expect(card("avgResponseTimeHours")).toEqual({ value: nb("2,3 h"), change: nb("▼ 25,0 %") });
    // a shorter response time is good news
    expect(document.querySelector('[data-kpi="avgResponseTimeHours"] [data-change]')!.className).toContain("good");
    const byCity = document.querySelector('[data-table="byCity"]') as HTMLElement;
    expect(within(byCity).getAllByRole("row")[1].textContent).toBe(nb("Bamako3266,7 %"));
    within(byCity).getByRole("button", { name: "Ségou" }).click();
    expect(updates).toEqual([{ city: "Ségou" }]);
  });

  it("financial: money to the franc on cards and to the cent in the table", () => {
    const financial = { totalRevenue: "1500.75", technicianPayouts: "1200.60", platformFees: "300.15", avgRequestValue: "750.375", paymentSuccessRate: 66.6667, refundedAmount: "0.00" };
    show(<Financial />, {
      choices,
      stats: {
        financial: { ...financial, paymentMethods: [{ method: "orange_money", count: 2, total: "1500.75" }] },
        trends: { monthly: [point(1, 2, "1500.75")] },
        meta,
        previous: { financial: { ...financial, totalRevenue: "1000.50", refundedAmount: "0.00" } },
      },
    });
    // 1500.75 / 1000.50 - 1 = +50.0 %
    expect(card("totalRevenue")).toEqual({ value: nb("1 501 FCFA"), change: nb("▲ 50,0 %") });
    expect(card("avgRequestValue").value).toBe(nb("750 FCFA"));
    expect(card("refundedAmount").change).toBe(TEXTS.fr.noPrevious);
    const methods = document.querySelector('[data-table="paymentMethods"]') as HTMLElement;
    expect(within(methods).getAllByRole("row")[1].textContent).toBe(nb("orange_money21 500,75 FCFA"));
  });

  it("satisfaction, technicians and security", () => {
    show(<Satisfaction />, {
      choices,
      stats: {
        satisfaction: { totalReviews: 3, avgRating: 4, satisfactionRate: 66.6667, recommendationRate: 100, ratingDistribution: [{ rating: 5, count: 2 }, { rating: 2, count: 1 }] },
        meta,
        previous: { satisfaction: { totalReviews: 2, avgRating: 4, satisfactionRate: 50, recommendationRate: 100 } },
      },
    });
    expect(card("totalReviews")).toEqual({ value: "3", change: nb("▲ 50,0 %") });
    expect(card("satisfactionRate").value).toBe(nb("66,7 %"));
    expect(within(document.querySelector('[data-table="ratings"]') as HTMLElement).getAllByRole("row")[1].textContent).toBe("5 ★2");
    document.body.innerHTML = "";

    show(<Technicians />, {
      choices,
      stats: {
        technicians: {
          total: 3, verified: 2, available: 2, avgRating: 4.5,
          topTechnicians: [{ technicianId: "1", name: "Awa Traoré", specialty: "plumbing", city: "Bamako", avgRating: 4.5, reviews: 2, completedRequests: 3, revenue: "1234567.89" }],
        },
        meta,
        previous: { technicians: { total: 3, verified: 1, available: 2, avgRating: 4.5 } },
      },
    });
    expect(card("verified")).toEqual({ value: "2", change: nb("▲ 100,0 %") });
    expect(within(document.querySelector('[data-table="topTechnicians"]') as HTMLElement).getAllByRole("row")[1].textContent).toBe("Awa Traoré" + nb("plumbingBamako4,50 / 523") + nb("1 234 567,89 FCFA"));
    document.body.innerHTML = "";

    show(<Security />, {
      choices,
      stats: {
        security: { totalLogins: 10, failedLogins: 4, loginSuccessRate: 60, securityAlerts: 1, suspiciousIps: [{ ipAddress: "10.0.0.9", failed: 4, lastSeen: "2026-11-24T09:30:00Z" }] },
        meta,
        previous: { security: { totalLogins: 8, failedLogins: 2, loginSuccessRate: 75, securityAlerts: 0 } },
      },
    });
    expect(card("failedLogins")).toEqual({ value: "4", change: nb("▲ 100,0 %") });
    expect(document.querySelector('[data-kpi="failedLogins"] [data-change]')!.className).toContain("bad");
    expect(within(document.querySelector('[data-table="suspiciousIps"]') as HTMLElement).getAllByRole("row")[1].textContent).toBe("10.0.0.9424/11/2026 09:30");
  });

  it("trends: the daily series in its table, dates in the reporting zone", () => {
    show(<Trends />, {
      choices,
      stats: { trends: { daily: [point(23, 1, "10.00")], weekly: [], monthly: [] }, meta },
    });
    const table = document.querySelector('[data-table="daily"]') as HTMLElement;
    expect(within(table).getAllByRole("row")[1].textContent).toBe("23/11/2026" + "1" + "0" + "1" + nb("10,00 FCFA"));
  });

  it("real time: pushed figures with their age and the stale badge", () => {
    const live = { asOf: "2026-11-24T10:00:00Z", computedAt: "2026-11-24T10:00:00Z", stale: true, onlineUsers: 12, activeTechnicians: 3, openRequests: 1500, last24h: { newRequests: 40, completedRequests: 30, revenue: "99999.50", failedLogins: 2 } };
    show(<Live live={live} interval={30} />, null);
    expect(card("openRequests").value).toBe(nb("1 500"));
    expect(card("revenue").value).toBe(nb("100 000 FCFA"));
    expect(document.querySelector("[data-stale]")).not.toBeNull();
    expect(document.querySelector("[data-age]")!.textContent).toMatch(/il y a/);
    // every card says how old its figure is, stale included
    const ages = [...document.querySelectorAll("[data-kpi] [data-card-age]")];
    expect(ages).toHaveLength(7);
    for (const a of ages) expect(a.textContent).toMatch(/il y a .*périmé$/);
  });
});

describe("moving a widget by keyboard", () => {
  it("moves, resizes and keeps the grid without overlaps", async () => {
    const { keyboardLayout } = await import("./Boards");
    const layout = [
      { i: "a", x: 0, y: 0, w: 3, h: 2 },
      { i: "b", x: 3, y: 0, w: 3, h: 2 },
    ];
    // right by one column: a now overlaps b's columns, so b is pushed below it
    const moved = keyboardLayout(layout, "a", "ArrowRight", false)!;
    expect(moved.find((l) => l.i === "a")).toMatchObject({ x: 1, y: 0 });
    expect(moved.find((l) => l.i === "b")).toMatchObject({ x: 3, y: 2 });
    // never off the grid
    expect(keyboardLayout(layout, "a", "ArrowLeft", false)!.find((l) => l.i === "a")).toMatchObject({ x: 0 });
    expect(keyboardLayout([{ i: "c", x: 10, y: 0, w: 2, h: 2 }], "c", "ArrowRight", false)![0]).toMatchObject({ x: 10 });
    // Shift: one column wider, one row taller, never narrower than one column
    expect(keyboardLayout(layout, "b", "ArrowRight", true)!.find((l) => l.i === "b")).toMatchObject({ w: 4, h: 2 });
    expect(keyboardLayout(layout, "b", "ArrowDown", true)!.find((l) => l.i === "b")).toMatchObject({ w: 3, h: 3 });
    expect(keyboardLayout([{ i: "d", x: 0, y: 0, w: 1, h: 1 }], "d", "ArrowLeft", true)![0]).toMatchObject({ w: 1 });
    // other keys do nothing
    expect(keyboardLayout(layout, "a", "Enter", false)).toBeNull();
  });
});
