// The page in a real Chromium (Debian's, driven by playwright-core; nothing downloads a
// browser) against a gateway on seeded data: every tab's headline numbers are the API's,
// filters, the live feed, exports, alerts, the grid, the refusal of a non-admin, a phone
// screen. Screenshots of each tab go to e2e/screenshots/.

import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { hours, integer, money, percent, rating } from "../src/format";

const base = inject("base");
const admin = inject("adminToken");
const clientToken = inject("clientToken");
const database = inject("database");
const SHOTS = resolve(__dirname, "screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let browser: Browser;

const AXE = readFileSync(resolve(__dirname, "../node_modules/axe-core/axe.min.js"), "utf8");

/** axe-core's WCAG 2.1 A and AA rules (contrast, names, roles, keyboard) on the page as it is. */
async function expectAccessible(page: Page, what: string) {
  // evaluated by the browser's debugging protocol: the page's CSP (rightly) refuses inline scripts
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
  expect(violations, what).toEqual([]);
}

async function gql<T = any>(query: string, variables: Record<string, unknown> = {}, token = admin): Promise<T> {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data as T;
}

/** A signed-in page: the sign-in link, as the demo prints it. */
async function signedIn(path: string, viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, locale: "fr-FR", acceptDownloads: true });
  const page = await context.newPage();
  const sep = path.includes("?") ? "&" : "?";
  await page.goto(`${base}${path}${sep}token=${admin}`);
  return { context, page };
}

async function cardText(page: Page, id: string): Promise<string> {
  return (await page.locator(`[data-kpi="${id}"] [data-value]`).first().textContent()) ?? "";
}

async function shot(page: Page, name: string) {
  // the charts load after the figures: picture them drawn
  await page.waitForFunction(() => document.querySelector(".chart-placeholder") === null, null, { timeout: 10_000 });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The headline cards of each tab and the API figure each must show. */
const HEADLINES: Record<string, { query: string; cards: [string, (d: any) => string][] }> = {
  overview: {
    query: "overview { totalUsers activeUsers30d newUsers30d totalRequests totalRevenue avgRating } requests { successRate } advanced { conversionRate retentionRate churnRate }",
    cards: [
      ["totalUsers", (d) => integer(d.overview.totalUsers, "fr")],
      ["activeUsers30d", (d) => integer(d.overview.activeUsers30d, "fr")],
      ["totalRequests", (d) => integer(d.overview.totalRequests, "fr")],
      ["totalRevenue", (d) => money(d.overview.totalRevenue, "fr")],
      ["avgRating", (d) => rating(d.overview.avgRating, "fr")],
      ["successRate", (d) => percent(d.requests.successRate, "fr")],
      ["churnRate", (d) => percent(d.advanced.churnRate, "fr")],
    ],
  },
  requests: {
    query: "requests { total pending inProgress completed cancelled avgResponseTimeHours }",
    cards: [
      ["total", (d) => integer(d.requests.total, "fr")],
      ["pending", (d) => integer(d.requests.pending, "fr")],
      ["inProgress", (d) => integer(d.requests.inProgress, "fr")],
      ["completed", (d) => integer(d.requests.completed, "fr")],
      ["cancelled", (d) => integer(d.requests.cancelled, "fr")],
      ["avgResponseTimeHours", (d) => hours(d.requests.avgResponseTimeHours, "fr")],
    ],
  },
  financial: {
    query: "financial { totalRevenue technicianPayouts platformFees avgRequestValue paymentSuccessRate }",
    cards: [
      ["totalRevenue", (d) => money(d.financial.totalRevenue, "fr")],
      ["technicianPayouts", (d) => money(d.financial.technicianPayouts, "fr")],
      ["platformFees", (d) => money(d.financial.platformFees, "fr")],
      ["avgRequestValue", (d) => money(d.financial.avgRequestValue, "fr")],
      ["paymentSuccessRate", (d) => percent(d.financial.paymentSuccessRate, "fr")],
    ],
  },
  satisfaction: {
    query: "satisfaction { totalReviews avgRating satisfactionRate recommendationRate }",
    cards: [
      ["totalReviews", (d) => integer(d.satisfaction.totalReviews, "fr")],
      ["avgRating", (d) => rating(d.satisfaction.avgRating, "fr")],
      ["satisfactionRate", (d) => percent(d.satisfaction.satisfactionRate, "fr")],
      ["recommendationRate", (d) => percent(d.satisfaction.recommendationRate, "fr")],
    ],
  },
  technicians: {
    query: "technicians { total verified available avgRating }",
    cards: [
      ["total", (d) => integer(d.technicians.total, "fr")],
      ["verified", (d) => integer(d.technicians.verified, "fr")],
      ["available", (d) => integer(d.technicians.available, "fr")],
      ["avgRating", (d) => rating(d.technicians.avgRating, "fr")],
    ],
  },
  security: {
    query: "security { totalLogins failedLogins loginSuccessRate securityAlerts }",
    cards: [
      ["totalLogins", (d) => integer(d.security.totalLogins, "fr")],
      ["failedLogins", (d) => integer(d.security.failedLogins, "fr")],
      ["loginSuccessRate", (d) => percent(d.security.loginSuccessRate, "fr")],
      ["securityAlerts", (d) => integer(d.security.securityAlerts, "fr")],
    ],
  },
};

async function expectHeadlines(page: Page, tab: string, filter: Record<string, unknown>) {
  const { query, cards } = HEADLINES[tab];
  await page.locator(`[data-tab="${tab}"] [data-kpi]`).first().waitFor();
  const data = (await gql(`query($f: StatsFilter) { g: globalStatistics(filter: $f) { ${query} } }`, { f: filter })).g;
  // the figures of an earlier filter stay on screen (marked busy) until the new ones come
  for (const [id, expected] of cards) {
    await expect.poll(() => cardText(page, id), { message: `${tab}: ${id}`, timeout: 10_000 }).toBe(expected(data));
  }
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

afterAll(async () => {
  await browser?.close();
});

describe("the statistics page", () => {
  it("takes the token from the link, drops it from the address, and shows each tab with the API's numbers", async () => {
    const { context, page } = await signedIn("/?period=LAST_30D&tab=trends");
    await page.locator("[data-chart]").first().waitFor();
    expect(page.url()).not.toContain("token");
    const posts: string[] = [];
    page.on("request", (r) => {
      // urql sends queries by GET when they fit in the address, mutations by POST
      if (new URL(r.url()).pathname === "/graphql") posts.push(r.url());
    });
    for (const tab of Object.keys(HEADLINES)) {
      posts.length = 0;
      await page.click(`#tab-${tab}`);
      await expectHeadlines(page, tab, { period: "LAST_30D" });
      // one request per tab view, not one per card
      expect(posts.length, `requests for ${tab}`).toBe(1);
      await shot(page, tab);
      await expectAccessible(page, tab);
    }
    for (const tab of ["trends", "alerts", "exports", "dashboards"]) {
      if (tab === "trends") await page.click("#tab-overview");
      await page.click(`#tab-${tab}`);
      await page.waitForTimeout(tab === "trends" ? 800 : 500);
      await shot(page, tab);
      await expectAccessible(page, tab);
    }
    await context.close();
  });

  it("reopens a copied link on the same view, and slices by a filter change", async () => {
    const { context, page } = await signedIn("/?tab=requests&period=ALL");
    await expectHeadlines(page, "requests", { period: "ALL" });
    await page.getByText("7 jours", { exact: true }).click();
    await page.waitForURL(/period=LAST_7D/);
    await expectHeadlines(page, "requests", { period: "LAST_7D" });
    // the city choices come from requests.byCity under ALL
    const cities = (await gql("{ globalStatistics(filter: { period: ALL }) { requests { byCity { key } } } }")).globalStatistics.requests.byCity.map((b: { key: string }) => b.key);
    const options = await page.locator('select[name="city"] option').allTextContents();
    expect(options.slice(1)).toEqual(cities);
    await page.selectOption('select[name="city"]', cities[1]);
    await page.waitForURL((url) => url.searchParams.get("city") === cities[1]);
    await page.waitForFunction(() => document.querySelector("[aria-busy=true]") === null);
    await expectHeadlines(page, "requests", { period: "LAST_7D", city: cities[1] });
    const url = page.url();
    await context.close();
    // the copied link reopens the same view
    const again = await signedIn(url.replace(base, ""));
    await again.page.locator('[data-tab="requests"] [data-kpi]').first().waitFor();
    expect(await again.page.locator('[role="tab"][aria-selected="true"]').textContent()).toBe("Demandes");
    await again.context.close();
  });

  it("shows a live update pushed after a row is inserted", async () => {
    const { context, page } = await signedIn("/?tab=realtime&live=5");
    const open = page.locator('[data-kpi="openRequests"] [data-value]');
    await open.waitFor();
    const before = await open.textContent();
    const now = new Date().toISOString().replace("Z", "+00:00");
    const insert = spawnSync("sqlite3", [
      database,
      `INSERT INTO repair_requests (client_id, technician_id, specialty, city, status, is_urgent, created_at, updated_at) SELECT id, NULL, 'plumbing', city, 'pending', 0, '${now}', '${now}' FROM users WHERE role = 'client' ORDER BY id LIMIT 1`,
    ], { encoding: "utf8" });
    expect(insert.status, insert.stderr).toBe(0);
    await page.waitForFunction(
      (b) => document.querySelector('[data-kpi="openRequests"] [data-value]')?.textContent !== b,
      before,
      { timeout: 20_000 },
    );
    const after = await open.textContent();
    expect(Number(after!.replace(/\D/g, ""))).toBe(Number(before!.replace(/\D/g, "")) + 1);
    expect(await page.locator("[data-freshness] [data-age]").textContent()).toMatch(/il y a/);
    await shot(page, "realtime");
    await context.close();
  });

  it("exports the current filter and downloads a non-empty file", async () => {
    const { context, page } = await signedIn("/?tab=exports&period=LAST_7D");
    await page.getByRole("button", { name: "Exporter en CSV" }).click();
    const button = page.locator('[data-status="COMPLETED"] button').first();
    await button.waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent("download"), button.click()]);
    const path = await download.path();
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    expect(statSync(path).size).toBeGreaterThan(100);
    await context.close();
  });

  it("toasts a raised alert, then acknowledges and resolves it", async () => {
    const { context, page } = await signedIn("/?tab=alerts");
    await page.locator("#alerts-heading").waitFor();
    await gql(`mutation { createAlertRule(input: { name: "Any request", metricPath: "overview.totalRequests", comparator: GT, threshold: 0, severity: WARNING, period: ALL }) { id } }`);
    const toast = page.locator("[data-toast]").first();
    await toast.waitFor({ timeout: 30_000 });
    expect(await toast.textContent()).toContain("Nouvelle alerte");
    const card = page.locator(".alert-list [data-alert]").filter({ hasText: "Any request" }).first();
    await card.waitFor();
    await card.getByRole("button", { name: "Acquitter" }).click();
    await card.getByText("acquittée").waitFor();
    await card.getByRole("button", { name: "Résoudre" }).click();
    await expect.poll(async () => (await gql("{ alerts(filter: { active: true }) { nodes { title } } }")).alerts.nodes.some((a: { title: string }) => a.title.includes("Any request"))).toBe(false);
    await context.close();
  });

  it("keeps a widget moved by mouse and by keyboard after a reload", async () => {
    const { context, page } = await signedIn("/?tab=dashboards");
    const first = page.locator("[data-widget]").first();
    await first.waitFor();
    const id = await first.getAttribute("data-widget");
    const widgets = async () => (await gql<any>("{ dashboards { widgets { id x y w h } } }")).dashboards[0].widgets;
    const start = (await widgets()).find((w: { id: string }) => w.id === id);
    // keyboard: focus the widget, move it right, make it one row taller
    await first.focus();
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("Shift+ArrowDown");
    await expect.poll(async () => (await widgets()).find((w: { id: string }) => w.id === id)).toMatchObject({ x: Math.min(start.x + 1, 12 - start.w), h: start.h + 1 });
    // mouse: drag the widget by its title bar to the bottom of the grid
    const handle = page.locator(`[data-widget="${id}"] .widget-handle`);
    const box = (await handle.boundingBox())!;
    await page.mouse.move(box.x + 20, box.y + 10);
    await page.mouse.down();
    await page.mouse.move(box.x + 40, box.y + 300, { steps: 12 });
    await page.mouse.move(box.x + 40, box.y + 1200, { steps: 12 });
    await page.mouse.up();
    await expect.poll(async () => (await widgets()).find((w: { id: string }) => w.id === id).y).toBeGreaterThan(start.y);
    const moved = (await widgets()).find((w: { id: string }) => w.id === id);
    await page.reload();
    await page.locator(`[data-widget="${id}"]`).waitFor();
    const label = await page.locator(`[data-widget="${id}"]`).getAttribute("aria-label");
    expect(label).toContain(`(${moved.x}, ${moved.y}, ${moved.w} × ${moved.h})`);
    await shot(page, "dashboards-after-move");
    await context.close();
  });

  it("refuses a non-admin: no figure, no subscription", async () => {
    const context = await browser.newContext({ locale: "fr-FR" });
    const page = await context.newPage();
    let sockets = 0;
    page.on("websocket", () => sockets++);
    await page.goto(`${base}/?token=${clientToken}`);
    await page.getByText("réservées aux administrateurs").waitFor();
    expect(await page.locator('[role="tab"]').count()).toBe(0);
    expect(await page.locator("[data-kpi]").count()).toBe(0);
    await page.waitForTimeout(500);
    expect(sockets).toBe(0);
    await shot(page, "refused");
    // and without a token, the page says how to get one
    await page.evaluate(() => localStorage.clear());
    await page.goto(`${base}/`);
    await page.getByText("serve --demo", { exact: false }).waitFor();
    await context.close();
  });

  it("runs the page and GraphiQL under their Content-Security-Policy (no inline code but GraphiQL's, by nonce)", async () => {
    for (const path of ["/?tab=overview", "/playground"]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const refused: string[] = [];
      page.on("console", (m) => {
        if (/Content Security Policy|Refused to/.test(m.text())) refused.push(m.text());
      });
      page.on("pageerror", (e) => refused.push(e.message));
      const response = await page.goto(`${base}${path}${path.includes("?") ? "&" : "?"}token=${admin}`);
      expect(response!.headers()["content-security-policy"]).not.toContain("unsafe-inline");
      if (path === "/playground") {
        await page.locator(".graphiql-container").waitFor();
        await page.locator(".graphiql-execute-button").click();
        await page.getByText('"data"', { exact: false }).first().waitFor();
      } else {
        await page.locator('[data-kpi="totalRevenue"]').waitFor();
        await page.waitForFunction(() => document.querySelector(".recharts-surface") !== null);
      }
      expect(refused, path).toEqual([]);
      await context.close();
    }
  });

  it("fits a 375 px phone screen in one column", async () => {
    const { context, page } = await signedIn("/?tab=overview", { width: 375, height: 812 });
    await page.locator("[data-kpi]").first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    const lefts = await page.locator("[data-kpi]").evaluateAll((els) => new Set(els.map((e) => Math.round(e.getBoundingClientRect().left))).size);
    expect(lefts).toBe(1);
    await shot(page, "overview-phone");
    await expectAccessible(page, "phone");
    await context.close();
  });
});
