import { useEffect, useState } from "react";
import { age, dateTime } from "../format";
import { usePage } from "../context";

/** How old a figure is, and a badge when the server says it is stale. */
export function Freshness({ asOf, computedAt, stale }: { asOf: string; computedAt?: string; stale: boolean }) {
  const { lang, t, zone } = usePage();
  const now = useNow();
  return (
    <p className="freshness" data-freshness>
      <span>
        {t.asOf} <time dateTime={asOf}>{dateTime(asOf, zone, lang)}</time> ({zone})
      </span>
      {computedAt && (
        <span className="muted" data-age>
          {" · "}
          {t.computed} {age(computedAt, now, lang)}
        </span>
      )}
      {stale && (
        <span className="badge stale" title={t.staleTitle} data-stale>
          {t.stale}
        </span>
      )}
    </p>
  );
}

/** The clock, read again every few seconds (for the ages shown). */
function useNow(every = 5000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), every);
    return () => clearInterval(timer);
  }, [every]);
  return now;
}

/** A card's own line: how old its figure is, and the stale badge. */
export function Age({ computedAt, stale }: { computedAt: string; stale: boolean }) {
  const { lang, t } = usePage();
  const now = useNow();
  return (
    <p className="kpi-age muted" data-card-age>
      {t.live.figureAge} {age(computedAt, now, lang)}
      {stale && (
        <span className="badge stale" title={t.staleTitle}>
          {t.stale}
        </span>
      )}
    </p>
  );
}
