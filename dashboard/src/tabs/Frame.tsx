import type { CombinedError } from "urql";
import { usePage } from "../context";
import { Freshness } from "../components/Freshness";

interface Meta {
  asOf: string;
  computedAt: string;
  stale: boolean;
}

/** A tab's answer: loading, error (with its code), or the figures and how old they are. */
export function Frame({ fetching, error, meta, children }: { fetching: boolean; error?: CombinedError; meta?: Meta; children?: React.ReactNode }) {
  const { t } = usePage();
  if (error && !meta) {
    const code = error.graphQLErrors[0]?.extensions?.code;
    return (
      <p role="alert" className="error">
        {t.error}
        {code ? ` (${String(code)})` : ""} : {error.graphQLErrors[0]?.message ?? error.message}
      </p>
    );
  }
  if (!meta) {
    return (
      <p className="muted" role="status" aria-busy="true">
        {t.loading}
      </p>
    );
  }
  return (
    <div aria-busy={fetching}>
      <Freshness asOf={meta.asOf} computedAt={meta.computedAt} stale={meta.stale} />
      {children}
    </div>
  );
}
