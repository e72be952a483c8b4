// The statistics tabs: one request each (`useTab`), cards with their change against the
// previous window, charts with the table of their numbers.

import { useState } from "react";
import { usePage } from "../context";
import { useTab } from "../useTab";
import { FinancialTab, OverviewTab, RequestsTab, SatisfactionTab, SecurityTab, TechniciansTab, TrendsTab } from "../queries";
import { Kpi, KpiGrid } from "../components/Kpi";
import { ChartCard } from "../components/ChartCard";
import { DataTable, type Column } from "../components/DataTable";
import { BarsChart, PieShares, TrendChart, type Measure, type SeriesPoint } from "../components/LazyCharts";
import { date, dateTime, hours, integer, money, month, percent, rating } from "../format";
import { Frame } from "./Frame";

function useSeriesTable(measures: Measure[], monthly?: boolean) {
  const { lang, zone, t } = usePage();
  const columns: Column<SeriesPoint>[] = [
    { key: "bucketStart", label: t.columns.date, render: (p) => (monthly ? month(p.bucketStart, zone, lang) : date(p.bucketStart, zone, lang)) },
    ...measures.map((m) => ({
      key: m.key,
      label: m.label,
      numeric: true,
      render: (p: SeriesPoint) => (m.unit === "money" ? money(String(p[m.key]), lang, true) : integer(Number(p[m.key]), lang)),
    })),
  ];
  return columns;
}

export function Overview() {
  const { lang, t } = usePage();
  const { data, fetching, error } = useTab(OverviewTab);
  const s = data?.stats;
  const p = s?.previous;
  const measures: Measure[] = [
    { key: "requests", label: t.charts.requests, unit: "count" },
    { key: "completed", label: t.charts.completed, unit: "count" },
    { key: "revenue", label: t.charts.revenue, unit: "money" },
  ];
  const columns = useSeriesTable(measures);
  return (
    <Frame fetching={fetching} error={error} meta={s?.meta}>
      {s && (
        <>
          <KpiGrid>
            <Kpi id="totalUsers" label={t.kpi.totalUsers} text={integer(s.overview.totalUsers, lang)} value={s.overview.totalUsers} previous={p?.overview.totalUsers} />
            <Kpi id="activeUsers30d" label={t.kpi.activeUsers30d} text={integer(s.overview.activeUsers30d, lang)} value={s.overview.activeUsers30d} previous={p?.overview.activeUsers30d} />
            <Kpi id="newUsers30d" label={t.kpi.newUsers30d} text={integer(s.overview.newUsers30d, lang)} value={s.overview.newUsers30d} previous={p?.overview.newUsers30d} />
            <Kpi id="totalRequests" label={t.kpi.totalRequests} text={integer(s.overview.totalRequests, lang)} value={s.overview.totalRequests} previous={p?.overview.totalRequests} />
            <Kpi id="totalRevenue" label={t.kpi.totalRevenue} text={money(s.overview.totalRevenue, lang)} value={s.overview.totalRevenue} previous={p?.overview.totalRevenue} />
            <Kpi id="avgRating" label={t.kpi.avgRating} text={rating(s.overview.avgRating, lang)} value={s.overview.avgRating} previous={p?.overview.avgRating} />
            <Kpi id="successRate" label={t.kpi.successRate} text={percent(s.requests.successRate, lang)} value={s.requests.successRate} previous={p?.requests.successRate} />
            <Kpi id="conversionRate" label={t.kpi.conversionRate} text={percent(s.advanced.conversionRate, lang)} value={s.advanced.conversionRate} previous={p?.advanced.conversionRate} />
            <Kpi id="retentionRate" label={t.kpi.retentionRate} text={percent(s.advanced.retentionRate, lang)} value={s.advanced.retentionRate} previous={p?.advanced.retentionRate} />
            <Kpi id="churnRate" label={t.kpi.churnRate} text={percent(s.advanced.churnRate, lang)} value={s.advanced.churnRate} previous={p?.advanced.churnRate} lowerIsBetter />
          </KpiGrid>
          <ChartCard
            id="daily"
            title={t.charts.daily}
            hint={t.charts.zoomHint}
            chart={<TrendChart points={s.trends.daily} measures={measures} />}
            table={<DataTable caption={t.charts.daily} columns={columns} rows={s.trends.daily} id="daily" />}
          />
        </>
      )}
    </Frame>
  );
}

interface Breakdown {
  key: string;
  total: number;
  completed: number;
  successRate: number;
}

function BreakdownCard({ id, title, rows, field }: { id: string; title: string; rows: Breakdown[]; field: "city" | "specialty" }) {
  const { lang, t, state, update } = usePage();
  const selected = state[field];
  const slice = (key: string) => update({ [field]: selected === key ? null : key });
  const columns: Column<Breakdown>[] = [
    {
      key: "key",
      label: field === "city" ? t.columns.city : t.columns.specialty,
      render: (b) => (
        <button type="button" className="link" aria-pressed={selected === b.key} onClick={() => slice(b.key)}>
          {b.key}
        </button>
      ),
    },
    { key: "total", label: t.columns.total, numeric: true, render: (b) => integer(b.total, lang) },
    { key: "completed", label: t.columns.completed, numeric: true, render: (b) => integer(b.completed, lang) },
    { key: "successRate", label: t.columns.successRate, numeric: true, render: (b) => percent(b.successRate, lang) },
  ];
  return (
    <ChartCard
      id={id}
      title={title}
      hint={t.charts.clickToSlice}
      chart={<BarsChart rows={rows.map((b) => ({ key: b.key, value: b.total }))} label={t.columns.total} selected={selected} onSelect={slice} />}
      table={<DataTable caption={title} columns={columns} rows={rows} id={id} />}
    />
  );
}

export function Requests() {
  const { lang, t } = usePage();
  const { data, fetching, error } = useTab(RequestsTab);
  const r = data?.stats.requests;
  const p = data?.stats.previous.requests;
  const states = r
    ? [
        { key: t.kpi.pending, value: r.pending },
        { key: t.kpi.inProgress, value: r.inProgress },
        { key: t.kpi.completed, value: r.completed },
        { key: t.kpi.cancelled, value: r.cancelled },
      ]
    : [];
  return (
    <Frame fetching={fetching} error={error} meta={data?.stats.meta}>
      {r && p && (
        <>
          <KpiGrid>
            <Kpi id="total" label={t.kpi.totalRequests} text={integer(r.total, lang)} value={r.total} previous={p.total} />
            <Kpi id="pending" label={t.kpi.pending} text={integer(r.pending, lang)} value={r.pending} previous={p.pending} />
            <Kpi id="inProgress" label={t.kpi.inProgress} text={integer(r.inProgress, lang)} value={r.inProgress} previous={p.inProgress} />
            <Kpi id="completed" label={t.kpi.completed} text={integer(r.completed, lang)} value={r.completed} previous={p.completed} />
            <Kpi id="cancelled" label={t.kpi.cancelled} text={integer(r.cancelled, lang)} value={r.cancelled} previous={p.cancelled} lowerIsBetter />
            <Kpi id="urgent" label={t.kpi.urgent} text={integer(r.urgent, lang)} value={r.urgent} previous={p.urgent} />
            <Kpi id="successRate" label={t.kpi.successRate} text={percent(r.successRate, lang)} value={r.successRate} previous={p.successRate} />
            <Kpi id="avgResponseTimeHours" label={t.kpi.avgResponseTimeHours} text={hours(r.avgResponseTimeHours, lang)} value={r.avgResponseTimeHours} previous={p.avgResponseTimeHours} lowerIsBetter />
            <Kpi id="avgCompletionTimeHours" label={t.kpi.avgCompletionTimeHours} text={hours(r.avgCompletionTimeHours, lang)} value={r.avgCompletionTimeHours} previous={p.avgCompletionTimeHours} lowerIsBetter />
          </KpiGrid>
          <div className="two">
            <BreakdownCard id="byCity" title={t.charts.byCity} rows={r.byCity} field="city" />
            <BreakdownCard id="bySpecialty" title={t.charts.bySpecialty} rows={r.bySpecialty} field="specialty" />
          </div>
          <ChartCard
            id="byState"
            title={t.charts.byState}
            chart={<PieShares rows={states} label={t.charts.requests} />}
            table={<DataTable caption={t.charts.byState} columns={[{ key: "key", label: t.columns.key, render: (b) => b.key }, { key: "value", label: t.columns.count, numeric: true, render: (b) => integer(b.value, lang) }]} rows={states} id="byState" />}
          />
        </>
      )}
    </Frame>
  );
}

export function Financial() {
  const { lang, t } = usePage();
  const { data, fetching, error } = useTab(FinancialTab);
  const f = data?.stats.financial;
  const p = data?.stats.previous.financial;
  const measures: Measure[] = [{ key: "revenue", label: t.charts.revenue, unit: "money" }];
  const columns = useSeriesTable(measures, true);
  type Method = { method: string; count: number; total: string };
  return (
    <Frame fetching={fetching} error={error} meta={data?.stats.meta}>
      {f && p && (
        <>
          <KpiGrid>
            <Kpi id="totalRevenue" label={t.kpi.totalRevenue} text={money(f.totalRevenue, lang)} value={f.totalRevenue} previous={p.totalRevenue} />
            <Kpi id="technicianPayouts" label={t.kpi.technicianPayouts} text={money(f.technicianPayouts, lang)} value={f.technicianPayouts} previous={p.technicianPayouts} />
            <Kpi id="platformFees" label={t.kpi.platformFees} text={money(f.platformFees, lang)} value={f.platformFees} previous={p.platformFees} />
            <Kpi id="avgRequestValue" label={t.kpi.avgRequestValue} text={money(f.avgRequestValue, lang)} value={f.avgRequestValue} previous={p.avgRequestValue} />
            <Kpi id="paymentSuccessRate" label={t.kpi.paymentSuccessRate} text={percent(f.paymentSuccessRate, lang)} value={f.paymentSuccessRate} previous={p.paymentSuccessRate} />
            <Kpi id="refundedAmount" label={t.kpi.refundedAmount} text={money(f.refundedAmount, lang)} value={f.refundedAmount} previous={p.refundedAmount} lowerIsBetter />
          </KpiGrid>
          <div className="two">
            <ChartCard
              id="paymentMethods"
              title={t.charts.paymentMethods}
              chart={<PieShares rows={f.paymentMethods.map((m) => ({ key: m.method, value: Number(m.total) }))} label={t.charts.revenue} unit="money" />}
              table={
                <DataTable<Method>
                  caption={t.charts.paymentMethods}
                  id="paymentMethods"
                  rows={f.paymentMethods}
                  columns={[
                    { key: "method", label: t.columns.method, render: (m) => m.method },
                    { key: "count", label: t.columns.count, numeric: true, render: (m) => integer(m.count, lang) },
                    { key: "total", label: t.columns.amount, numeric: true, render: (m) => money(m.total, lang, true) },
                  ]}
                />
              }
            />
            <ChartCard
              id="monthlyRevenue"
              title={`${t.charts.revenue} — ${t.charts.monthly}`}
              chart={<TrendChart points={data!.stats.trends.monthly} measures={measures} monthly />}
              table={<DataTable caption={t.charts.monthly} columns={columns} rows={data!.stats.trends.monthly} id="monthly" />}
            />
          </div>
        </>
      )}
    </Frame>
  );
}

export function Satisfaction() {
  const { lang, t } = usePage();
  const { data, fetching, error } = useTab(SatisfactionTab);
  const s = data?.stats.satisfaction;
  const p = data?.stats.previous.satisfaction;
  const rows = s ? s.ratingDistribution.map((r) => ({ key: `${r.rating} ★`, value: r.count })) : [];
  return (
    <Frame fetching={fetching} error={error} meta={data?.stats.meta}>
      {s && p && (
        <>
          <KpiGrid>
            <Kpi id="totalReviews" label={t.kpi.totalReviews} text={integer(s.totalReviews, lang)} value={s.totalReviews} previous={p.totalReviews} />
            <Kpi id="avgRating" label={t.kpi.avgRating} text={rating(s.avgRating, lang)} value={s.avgRating} previous={p.avgRating} />
            <Kpi id="satisfactionRate" label={t.kpi.satisfactionRate} text={percent(s.satisfactionRate, lang)} value={s.satisfactionRate} previous={p.satisfactionRate} />
            <Kpi id="recommendationRate" label={t.kpi.recommendationRate} text={percent(s.recommendationRate, lang)} value={s.recommendationRate} previous={p.recommendationRate} />
          </KpiGrid>
          <ChartCard
            id="ratings"
            title={t.charts.ratings}
            chart={<BarsChart rows={rows} label={t.columns.reviews} />}
            table={<DataTable caption={t.charts.ratings} id="ratings" rows={rows} columns={[{ key: "key", label: t.columns.rating, render: (r) => r.key }, { key: "value", label: t.columns.count, numeric: true, render: (r) => integer(r.value, lang) }]} />}
          />
        </>
      )}
    </Frame>
  );
}

export function Technicians() {
  const { lang, t } = usePage();
  const { data, fetching, error } = useTab(TechniciansTab);
  const s = data?.stats.technicians;
  const p = data?.stats.previous.technicians;
  type Top = NonNullable<typeof s>["topTechnicians"][number];
  return (
    <Frame fetching={fetching} error={error} meta={data?.stats.meta}>
      {s && p && (
        <>
          <KpiGrid>
            <Kpi id="total" label={t.kpi.technicians} text={integer(s.total, lang)} value={s.total} previous={p.total} />
            <Kpi id="verified" label={t.kpi.verified} text={integer(s.verified, lang)} value={s.verified} previous={p.verified} />
            <Kpi id="available" label={t.kpi.available} text={integer(s.available, lang)} value={s.available} previous={p.available} />
            <Kpi id="avgRating" label={t.kpi.avgRating} text={rating(s.avgRating, lang)} value={s.avgRating} previous={p.avgRating} />
          </KpiGrid>
          <section className="chart-card" data-chart="topTechnicians">
            <h3>{t.charts.topTechnicians}</h3>
            <DataTable<Top>
              caption={t.charts.topTechnicians}
              id="topTechnicians"
              rows={s.topTechnicians}
              columns={[
                { key: "name", label: t.columns.name, render: (x) => x.name },
                { key: "specialty", label: t.columns.specialty, render: (x) => x.specialty },
                { key: "city", label: t.columns.city, render: (x) => x.city },
                { key: "avgRating", label: t.columns.rating, numeric: true, render: (x) => rating(x.avgRating, lang) },
                { key: "reviews", label: t.columns.reviews, numeric: true, render: (x) => integer(x.reviews, lang) },
                { key: "completed", label: t.columns.completed, numeric: true, render: (x) => integer(x.completedRequests, lang) },
                { key: "revenue", label: t.columns.revenue, numeric: true, render: (x) => money(x.revenue, lang, true) },
              ]}
            />
          </section>
        </>
      )}
    </Frame>
  );
}

export function Security() {
  const { lang, t, zone } = usePage();
  const { data, fetching, error } = useTab(SecurityTab);
  const s = data?.stats.security;
  const p = data?.stats.previous.security;
  type Ip = NonNullable<typeof s>["suspiciousIps"][number];
  return (
    <Frame fetching={fetching} error={error} meta={data?.stats.meta}>
      {s && p && (
        <>
          <KpiGrid>
            <Kpi id="totalLogins" label={t.kpi.totalLogins} text={integer(s.totalLogins, lang)} value={s.totalLogins} previous={p.totalLogins} />
            <Kpi id="failedLogins" label={t.kpi.failedLogins} text={integer(s.failedLogins, lang)} value={s.failedLogins} previous={p.failedLogins} lowerIsBetter />
            <Kpi id="loginSuccessRate" label={t.kpi.loginSuccessRate} text={percent(s.loginSuccessRate, lang)} value={s.loginSuccessRate} previous={p.loginSuccessRate} />
            <Kpi id="securityAlerts" label={t.kpi.securityAlerts} text={integer(s.securityAlerts, lang)} value={s.securityAlerts} previous={p.securityAlerts} lowerIsBetter />
          </KpiGrid>
          <ChartCard
            id="suspiciousIps"
            title={t.charts.suspiciousIps}
            chart={<BarsChart rows={s.suspiciousIps.map((x) => ({ key: x.ipAddress, value: x.failed }))} label={t.columns.failed} />}
            table={
              <DataTable<Ip>
                caption={t.charts.suspiciousIps}
                id="suspiciousIps"
                rows={s.suspiciousIps}
                columns={[
                  { key: "ip", label: t.columns.address, render: (x) => x.ipAddress },
                  { key: "failed", label: t.columns.failed, numeric: true, render: (x) => integer(x.failed, lang) },
                  { key: "lastSeen", label: t.columns.lastSeen, render: (x) => dateTime(x.lastSeen, zone, lang) },
                ]}
              />
            }
          />
        </>
      )}
    </Frame>
  );
}

export function Trends() {
  const { t } = usePage();
  const { data, fetching, error } = useTab(TrendsTab);
  const [granularity, setGranularity] = useState<"daily" | "weekly" | "monthly">("daily");
  const measures: Measure[] = [
    { key: "requests", label: t.charts.requests, unit: "count" },
    { key: "completed", label: t.charts.completed, unit: "count" },
    { key: "newUsers", label: t.charts.newUsers, unit: "count" },
    { key: "revenue", label: t.charts.revenue, unit: "money" },
  ];
  const columns = useSeriesTable(measures, granularity === "monthly");
  const points = data?.stats.trends[granularity] ?? [];
  const names = { daily: t.charts.daily, weekly: t.charts.weekly, monthly: t.charts.monthly };
  return (
    <Frame fetching={fetching} error={error} meta={data?.stats.meta}>
      <fieldset className="segmented">
        <legend>{t.charts.granularity}</legend>
        {(["daily", "weekly", "monthly"] as const).map((g) => (
          <label key={g}>
            <input type="radio" name="granularity" value={g} checked={granularity === g} onChange={() => setGranularity(g)} />
            {names[g]}
          </label>
        ))}
      </fieldset>
      <ChartCard
        id={granularity}
        title={names[granularity]}
        hint={t.charts.zoomHint}
        chart={<TrendChart points={points} measures={measures} monthly={granularity === "monthly"} />}
        table={<DataTable caption={names[granularity]} columns={columns} rows={points} id={granularity} />}
      />
    </Frame>
  );
}
