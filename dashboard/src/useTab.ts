import { useEffect, useMemo, useRef } from "react";
import { useQuery, type AnyVariables } from "urql";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { usePage } from "./context";
import { toFilter } from "./filters";
import type { StatsFilter } from "../generated/graphql";

interface WithChoices {
  choices: { requests: { byCity: { key: string }[]; bySpecialty: { key: string }[] } };
  stats: { meta: { timezone: string } };
}

/** One request for a tab view under the page's filter, fetched again (bypassing the
 * client's cache, not the server's) at each push of the live feed. */
export function useTab<D extends WithChoices>(document: TypedDocumentNode<D, { filter?: StatsFilter | null }>) {
  const { state, zone, tick, onChoices, onZone } = usePage();
  const filter = useMemo(() => toFilter(state, zone), [state, zone]);
  const [result, reexecute] = useQuery<D, AnyVariables>({ query: document, variables: { filter } });
  const first = useRef(tick);
  useEffect(() => {
    if (tick !== first.current) reexecute({ requestPolicy: "network-only" });
  }, [tick, reexecute]);
  const data = result.data;
  useEffect(() => {
    if (!data) return;
    onChoices(
      data.choices.requests.byCity.map((b) => b.key),
      data.choices.requests.bySpecialty.map((b) => b.key),
    );
    onZone(data.stats.meta.timezone);
  }, [data, onChoices, onZone]);
  return result;
}
