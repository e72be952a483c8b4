import { useId } from "react";
import { usePage } from "../context";

/** A chart with its title, a hint, and the table of its numbers (its text alternative). */
export function ChartCard({ title, hint, chart, table, id }: { title: string; hint?: string; chart: React.ReactNode; table: React.ReactNode; id: string }) {
  const { t } = usePage();
  const headingId = useId();
  return (
    <section className="chart-card" aria-labelledby={headingId} data-chart={id}>
      <h3 id={headingId}>{title}</h3>
      {hint && <p className="muted hint">{hint}</p>}
      <div className="chart" role="img" aria-label={title}>
        {chart}
      </div>
      <details>
        <summary>{t.showTable}</summary>
        {table}
      </details>
    </section>
  );
}
