import { usePage } from "../context";
import { Kpi, KpiGrid } from "../components/Kpi";
import { Age, Freshness } from "../components/Freshness";
import { integer, money } from "../format";
import type { LiveStatsSubscription } from "../../generated/graphql";

export type LiveFigures = LiveStatsSubscription["liveStats"];

/** The real-time cards, pushed by `liveStats` (no request of their own). */
export function Live({ live, interval }: { live: LiveFigures | null; interval: number }) {
  const { lang, t } = usePage();
  if (!live) {
    return (
      <p className="muted" role="status">
        {t.live.connecting}
      </p>
    );
  }
  const age = <Age computedAt={live.computedAt} stale={live.stale} />;
  return (
    <div data-live>
      <p className="muted">
        {t.live.pushed} {interval} {t.live.seconds}
      </p>
      <Freshness asOf={live.asOf} computedAt={live.computedAt} stale={live.stale} />
      <div aria-live="polite">
        <KpiGrid>
          <Kpi id="newRequests" label={t.kpi.newRequests} text={integer(live.last24h.newRequests, lang)} footer={age} />
          <Kpi id="completedRequests" label={t.kpi.completedRequests} text={integer(live.last24h.completedRequests, lang)} footer={age} />
          <Kpi id="revenue" label={t.kpi.revenue24h} text={money(live.last24h.revenue, lang)} footer={age} />
          <Kpi id="failedLogins" label={t.kpi.failedLogins24h} text={integer(live.last24h.failedLogins, lang)} footer={age} />
          <Kpi id="onlineUsers" label={t.kpi.onlineUsers} text={integer(live.onlineUsers, lang)} footer={age} />
          <Kpi id="activeTechnicians" label={t.kpi.activeTechnicians} text={integer(live.activeTechnicians, lang)} footer={age} />
          <Kpi id="openRequests" label={t.kpi.openRequests} text={integer(live.openRequests, lang)} footer={age} />
        </KpiGrid>
      </div>
    </div>
  );
}
