// Times the page in Debian's Chromium against a running gateway: first render of the
// overview tab from a cold browser (a new browser process each run: nothing cached), with
// the server's statistics cache cold and warm; GraphQL requests per tab view; the repaint
// after a filter change whose figures the server has cached; the JavaScript shipped.
// Usage: node bench/render.mjs <base url> <admin token> [runs]   (prints Markdown)

import { chromium } from "playwright-core";
import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const [base, token, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

async function gql(query, variables = {}) {
  const r = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await r.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs) => `${Math.round(median(xs))} ms (min ${Math.round(Math.min(...xs))}, max ${Math.round(Math.max(...xs))})`;

/** Navigation start to the first headline figure painted, in a browser launched for it. */
async function firstRender() {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript((t) => localStorage.setItem("teliman-stats.token", t), token);
    const page = await context.newPage();
    await page.goto(`${base}/?tab=overview&period=LAST_30D`);
    // checked at every frame: the instant (from navigation start) the figure is painted
    const painted = await page.waitForFunction(
      () => (document.querySelector('[data-kpi="totalRevenue"] [data-value]') ? performance.now() : null),
      null,
      { polling: "raf" },
    );
    return await painted.jsonValue();
  } finally {
    await browser.close();
  }
}

const cold = [];
const warm = [];
for (let i = 0; i < runs; i++) {
  await gql("mutation { invalidateStatisticsCache }");
  cold.push(await firstRender());
  warm.push(await firstRender());
}

// requests per tab view, and the repaint after a filter change
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
await context.addInitScript((t) => localStorage.setItem("teliman-stats.token", t), token);
const page = await context.newPage();
let requests = 0;
page.on("request", (r) => {
  if (new URL(r.url()).pathname === "/graphql") requests++;
});
await page.goto(`${base}/?tab=trends&period=LAST_30D`);
await page.locator("[data-chart]").first().waitFor();
const perTab = [];
for (const tab of ["overview", "requests", "financial", "satisfaction", "technicians", "security"]) {
  requests = 0;
  await page.click(`#tab-${tab}`);
  await page.locator(`[data-tab="${tab}"] [data-kpi]`).first().waitFor();
  await page.waitForTimeout(300);
  perTab.push(`${tab} ${requests}`);
}
await page.click("#tab-overview");
await page.locator('[data-tab="overview"] [data-kpi]').first().waitFor();
// the server computes each period's figures first (warm cache); the page has never asked
const { cities } = { cities: (await gql("{ globalStatistics(filter: { period: ALL }) { requests { byCity { key } } } }")).globalStatistics.requests.byCity.map((b) => b.key) };
const filters = [];
for (const city of cities.slice(0, runs)) {
  for (const period of ["LAST_7D", "LAST_30D"]) filters.push({ period, city });
}
const overview = "query($f: StatsFilter) { globalStatistics(filter: $f) { overview { totalUsers activeUsers30d newUsers30d totalRequests totalRevenue avgRating } requests { successRate } advanced { conversionRate retentionRate churnRate } trends { daily { bucketStart requests completed revenue newUsers } } previous { overview { totalUsers activeUsers30d newUsers30d totalRequests totalRevenue avgRating } requests { successRate } advanced { conversionRate retentionRate churnRate } } } }";
const repaint = [];
for (const f of filters) {
  await gql(overview, { f });
  const before = await page.locator('[data-kpi="totalRequests"] [data-value]').textContent();
  const started = await page.evaluate(() => performance.now());
  await page.evaluate(({ period, city }) => {
    const url = new URL(window.location.href);
    url.searchParams.set("period", period);
    url.searchParams.set("city", city);
    window.history.pushState(null, "", url);
    window.dispatchEvent(new PopStateEvent("popstate"));
  }, f);
  await page.waitForFunction(
    (b) => document.querySelector('[data-tab="overview"] > [aria-busy="false"]') && document.querySelector('[data-kpi="totalRequests"] [data-value]')?.textContent !== b,
    before,
  );
  repaint.push((await page.evaluate(() => performance.now())) - started);
}
await browser.close();

// the JavaScript and CSS shipped, gzipped as the gateway sends them
const assets = join(import.meta.dirname, "..", "dist", "assets");
const entry = readFileSync(join(assets, "..", "index.html"), "utf8").match(/src="\/assets\/([^"]+\.js)"/)[1];
let js = 0;
let jsGz = 0;
let entryGz = 0;
let css = 0;
for (const f of readdirSync(assets)) {
  const bytes = readFileSync(join(assets, f));
  if (f.endsWith(".js")) {
    js += bytes.length;
    jsGz += gzipSync(bytes, { level: 6 }).length;
    if (f === entry) entryGz = gzipSync(bytes, { level: 6 }).length;
  } else if (f.endsWith(".css")) css += gzipSync(bytes).length;
}

console.log(`| what | figure | target |
| --- | --- | --- |
| first render of the overview tab, cold browser, server cache cold | ${fmt(cold)} | < 1 s |
| first render of the overview tab, cold browser, server cache warm | ${fmt(warm)} | < 1 s |
| filter change (period and city) repainted, server cache warm | ${fmt(repaint)} (${repaint.length} changes) | < 300 ms |
| GraphQL requests per tab view | ${perTab.join(", ")} | 1 |
| JavaScript shipped, all chunks | ${(jsGz / 1000).toFixed(1)} kB gzipped (${(js / 1000).toFixed(0)} kB raw), of which ${(entryGz / 1000).toFixed(1)} kB before the first paint (charts and grid load after it); CSS ${(css / 1000).toFixed(1)} kB gzipped | <= 350 kB gzipped |`);
