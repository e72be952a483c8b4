import { useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { usePage } from "../context";
import { ExportProgress, ExportsQuery, RequestExport } from "../queries";
import { toFilter } from "../filters";
import { dateTime, integer } from "../format";
import type { ExportFormat, ExportItemFragment } from "../../generated/graphql";

const FORMATS: ExportFormat[] = ["XLSX", "PDF", "JSON", "CSV"];

/** Downloads a finished file with the bearer token (the link alone is not enough). */
async function download(job: ExportItemFragment, token: string): Promise<void> {
  if (!job.downloadUrl) return;
  const response = await fetch(job.downloadUrl, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${response.status}`);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = job.fileName ?? `statistiques.${job.format.toLowerCase()}`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Job({ job, token }: { job: ExportItemFragment; token: string }) {
  const { lang, t, zone } = usePage();
  const [failed, setFailed] = useState<string | null>(null);
  return (
    <li data-export={job.id} data-status={job.status}>
      <strong>{job.format}</strong> · {dateTime(job.requestedAt, zone, lang)} ·{" "}
      <span role="status">{t.exports.status[job.status]}</span>
      {job.sizeBytes != null && <> · {integer(job.sizeBytes, lang)} o</>}
      {job.error && <span className="error"> · {job.error}</span>}
      {job.status === "COMPLETED" && (
        <>
          {" "}
          <button type="button" onClick={() => download(job, token).catch((e) => setFailed(String(e)))}>
            {t.exports.download} {job.fileName}
          </button>
        </>
      )}
      {failed && <span className="error"> {failed}</span>}
    </li>
  );
}

function Progress({ id, token }: { id: string; token: string }) {
  const [{ data }] = useSubscription({ query: ExportProgress, variables: { id } });
  if (!data) return null;
  return <Job job={data.exportProgress} token={token} />;
}

export function Exports({ token }: { token: string }) {
  const { lang, t, state, zone } = usePage();
  const [jobs, setJobs] = useState<string[]>([]);
  const [{ error }, request] = useMutation(RequestExport);
  const [{ data }] = useQuery({ query: ExportsQuery, requestPolicy: "network-only" });
  const start = async (format: ExportFormat) => {
    const result = await request({ input: { format, filter: toFilter(state, zone), lang } });
    const id = result.data?.requestExport.id;
    if (id) setJobs((j) => [id, ...j]);
  };
  const earlier = (data?.exports.nodes ?? []).filter((j) => !jobs.includes(j.id));
  return (
    <section aria-labelledby="exports-heading">
      <h2 id="exports-heading">{t.exports.heading}</h2>
      <div className="actions" role="group" aria-label={t.exports.request}>
        {FORMATS.map((f) => (
          <button key={f} type="button" onClick={() => start(f)}>
            {t.exports.request} {f}
          </button>
        ))}
      </div>
      {error && <p role="alert">{error.message}</p>}
      <ul className="jobs" aria-live="polite">
        {jobs.map((id) => (
          <Progress key={id} id={id} token={token} />
        ))}
      </ul>
      <h3>{t.exports.recent}</h3>
      {earlier.length === 0 ? (
        <p className="muted">{t.exports.none}</p>
      ) : (
        <ul className="jobs">
          {earlier.map((j) => (
            <Job key={j.id} job={j} token={token} />
          ))}
        </ul>
      )}
    </section>
  );
}
