import { useEffect, useRef } from "react";
import { useMutation, useQuery } from "urql";
import { usePage } from "../context";
import { AcknowledgeAlert, AlertsQuery, ResolveAlert } from "../queries";
import { dateTime } from "../format";
import type { AlertItemFragment } from "../../generated/graphql";

export function AlertCard({ alert, actions }: { alert: AlertItemFragment; actions?: React.ReactNode }) {
  const { lang, t, zone } = usePage();
  return (
    <article className={`alert sev-${alert.severity.toLowerCase()}`} data-alert={alert.id}>
      <header>
        <span className="badge">{t.alerts.severity[alert.severity]}</span> <strong>{alert.title}</strong>
        {alert.acknowledgedAt && <span className="badge muted-badge">{t.alerts.acknowledged}</span>}
      </header>
      <p>{alert.message}</p>
      <p className="muted">
        <time dateTime={alert.triggeredAt}>{dateTime(alert.triggeredAt, zone, lang)}</time>
      </p>
      {actions}
    </article>
  );
}

/** Active alerts, to acknowledge and resolve. `version` changes when one is raised. */
export function Alerts({ version }: { version: number }) {
  const { t } = usePage();
  const [{ data, error }, refetch] = useQuery({ query: AlertsQuery, variables: { active: true }, requestPolicy: "network-only" });
  const seen = useRef(version);
  useEffect(() => {
    if (version !== seen.current) refetch({ requestPolicy: "network-only" });
  }, [version, refetch]);
  const [, acknowledge] = useMutation(AcknowledgeAlert);
  const [, resolve] = useMutation(ResolveAlert);
  const after = () => refetch({ requestPolicy: "network-only" });
  if (error) return <p role="alert">{error.message}</p>;
  const alerts = data?.alerts.nodes ?? [];
  return (
    <section aria-labelledby="alerts-heading">
      <h2 id="alerts-heading">{t.alerts.heading}</h2>
      {!data && <p className="muted">{t.loading}</p>}
      {data && alerts.length === 0 && <p>{t.alerts.none}</p>}
      <div className="alert-list">
        {alerts.map((a) => (
          <AlertCard
            key={a.id}
            alert={a}
            actions={
              <div className="actions">
                {!a.acknowledgedAt && (
                  <button type="button" onClick={() => acknowledge({ id: a.id }).then(after)}>
                    {t.alerts.acknowledge}
                  </button>
                )}
                <button type="button" onClick={() => resolve({ id: a.id }).then(after)}>
                  {t.alerts.resolve}
                </button>
              </div>
            }
          />
        ))}
      </div>
    </section>
  );
}
