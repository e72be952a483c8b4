import { change } from "../format";
import { usePage } from "../context";

export interface KpiProps {
  id: string;
  label: string;
  /** The figure as shown. */
  text: string;
  /** The raw figure and the previous window's, for the change. */
  value?: number | string;
  previous?: number | string | null;
  /** A rise is bad news (failures, cancellations, churn, delays). */
  lowerIsBetter?: boolean;
  /** Under the figure: how old it is, for pushed figures. */
  footer?: React.ReactNode;
}

/** One headline figure with its change against the previous window of the same length. */
export function Kpi({ id, label, text, value, previous, lowerIsBetter, footer }: KpiProps) {
  const { lang, t } = usePage();
  const delta = value === undefined ? null : change(value, previous, lang);
  const good = delta && delta.direction !== "same" ? (delta.direction === "up") !== !!lowerIsBetter : null;
  return (
    <article className="kpi" data-kpi={id} aria-labelledby={`kpi-${id}`}>
      <h3 id={`kpi-${id}`} className="kpi-label">
        {label}
      </h3>
      <p className="kpi-value" data-value>
        {text}
      </p>
      {value !== undefined && (
        <p className={"kpi-change" + (good === null ? "" : good ? " good" : " bad")} data-change>
          {delta ? (
            <>
              <span aria-hidden="true">{delta.text}</span>
              <span className="sr-only">
                {delta.direction === "up" ? "+" : delta.direction === "down" ? "−" : ""}
                {delta.text.slice(2)} {t.vsPrevious}
              </span>
            </>
          ) : (
            <span className="muted">{t.noPrevious}</span>
          )}
        </p>
      )}
      {footer}
    </article>
  );
}

export function KpiGrid({ children }: { children: React.ReactNode }) {
  return <div className="kpi-grid">{children}</div>;
}
