// The charts, loaded after the first paint: Recharts is most of the JavaScript, and the
// headline cards do not wait for it (a box of the chart's height holds its place).

import { lazy, Suspense, type ComponentProps } from "react";
import type * as Charts from "./Charts";

const load = () => import("./Charts");
const LazyTrend = lazy(() => load().then((m) => ({ default: m.TrendChart })));
const LazyBars = lazy(() => load().then((m) => ({ default: m.BarsChart })));
const LazyPie = lazy(() => load().then((m) => ({ default: m.PieShares })));

const hold = (height: number) => <div className="chart-placeholder" style={{ height }} aria-hidden="true" />;

export type { Measure, SeriesPoint, Bucket } from "./Charts";

export function TrendChart(props: ComponentProps<typeof Charts.TrendChart>) {
  return (
    <Suspense fallback={hold(280)}>
      <LazyTrend {...props} />
    </Suspense>
  );
}

export function BarsChart(props: ComponentProps<typeof Charts.BarsChart>) {
  return (
    <Suspense fallback={hold(Math.max(160, props.rows.length * 28 + 40))}>
      <LazyBars {...props} />
    </Suspense>
  );
}

export function PieShares(props: ComponentProps<typeof Charts.PieShares>) {
  return (
    <Suspense fallback={hold(260)}>
      <LazyPie {...props} />
    </Suspense>
  );
}
