// Audit log: every change to the project and its keys, newest first, filtered by event type
// and time, paged, and exported whole as JSON.

import { useState } from "preact/hooks";
import { getJson, query, type Credential } from "../lib/api.ts";
import { download } from "../lib/download.ts";
import { fmtDateTime } from "../lib/format.ts";
import { AUDIT_TYPES, type AuditEvent, type List } from "../lib/types.ts";
import { Empty, ErrorNotice, Loading, PageHeader } from "../ui/notice.tsx";
import { useLoad } from "../ui/use-load.ts";
import type { PageProps } from "./types.ts";

const PAGE = 25;

interface Filters {
  type: string;
  since: string;
  until: string;
}

const unix = (local: string): number | null => (local === "" ? null : Math.floor(new Date(local).getTime() / 1000));

function params(f: Filters, admin: boolean, projectId: string | null) {
  return {
    "project_ids[]": admin ? projectId : null,
    "event_types[]": f.type === "" ? null : f.type,
    "effective_at[gte]": unix(f.since),
    "effective_at[lte]": unix(f.until),
  };
}

async function exportAll(cred: Credential, f: Filters, admin: boolean, projectId: string | null): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let after: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const page: List<AuditEvent> = await getJson(cred, `/v1/organization/audit_logs${query({ ...params(f, admin, projectId), limit: 100, after })}`);
    out.push(...page.data);
    if (!page.has_more || page.last_id === null) break;
    after = page.last_id;
  }
  return out;
}

function actorText(e: AuditEvent): string {
  return e.actor.type === "admin" ? "admin" : `key ${e.actor.api_key.id}`;
}

interface Details { id?: string; data?: unknown; changes_requested?: unknown; previous?: unknown }

function Change({ e }: { e: AuditEvent }) {
  const d = (e[e.type] ?? {}) as Details;
  const parts: Array<[string, unknown]> = [];
  if (d.changes_requested !== undefined) parts.push(["changed", d.changes_requested]);
  if (d.previous !== undefined) parts.push(["was", d.previous]);
  if (d.data !== undefined) parts.push(["", d.data]);
  return (
    <>
      <div class="mono small">{d.id ?? ""}</div>
      {parts.map(([k, v]) => <div class="mono small muted change" key={k}>{k && `${k}: `}{JSON.stringify(v)}</div>)}
    </>
  );
}

export function Audit({ me, projectId }: PageProps) {
  const admin = me.cred.kind === "admin";
  const [draft, setDraft] = useState<Filters>({ type: "", since: "", until: "" });
  const [filters, setFilters] = useState<Filters>(draft);
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [exportError, setExportError] = useState<unknown>(null);
  const [exporting, setExporting] = useState(false);
  const after = cursors[cursors.length - 1] ?? null;
  const page = useLoad(
    (signal) => getJson<List<AuditEvent>>(me.cred, `/v1/organization/audit_logs${query({ ...params(filters, admin, projectId), limit: PAGE, after })}`, { signal }),
    [filters, after, projectId],
  );
  const apply = (e: Event): void => {
    e.preventDefault();
    setFilters(draft);
    setCursors([null]);
  };
  const exportJson = async (): Promise<void> => {
    setExporting(true);
    setExportError(null);
    try {
      const all = await exportAll(me.cred, filters, admin, projectId);
      download(`audit-log-${projectId ?? "project"}.json`, `${JSON.stringify(all, null, 2)}\n`, "application/json");
    } catch (err) {
      setExportError(err);
    } finally {
      setExporting(false);
    }
  };

  return (
    <>
      <PageHeader title="Audit log" lead="Every change to this project and its keys, newest first. Secrets never appear here, only their redacted hint."
        actions={<button type="button" class="btn btn-primary" onClick={() => void exportJson()} disabled={exporting}>{exporting ? "Exporting…" : "Export JSON"}</button>} />
      <form class="toolbar" onSubmit={apply} aria-label="Audit log filters">
        <label class="field inline"><span class="label">Event</span>
          <select name="type" value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.currentTarget.value })}>
            <option value="">All events</option>
            {AUDIT_TYPES.map((t) => <option value={t} key={t}>{t}</option>)}
          </select>
        </label>
        <label class="field inline"><span class="label">From</span><input type="datetime-local" name="since" value={draft.since} onInput={(e) => setDraft({ ...draft, since: e.currentTarget.value })} /></label>
        <label class="field inline"><span class="label">To</span><input type="datetime-local" name="until" value={draft.until} onInput={(e) => setDraft({ ...draft, until: e.currentTarget.value })} /></label>
        <button type="submit" class="btn btn-secondary">Apply</button>
      </form>
      {exportError ? <ErrorNotice error={exportError} compact /> : null}
      {page.error ? <ErrorNotice error={page.error} onRetry={page.reload} /> : null}
      {!page.data && !page.error && <Loading label="Loading the audit log" />}
      {page.data && page.data.data.length === 0 && <Empty title="No events match these filters." />}
      {page.data && page.data.data.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Audit log events">
          <table class="table audit-table" data-testid="audit-table">
            <caption class="sr-only">Audit log events</caption>
            <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">Target and change</th></tr></thead>
            <tbody>
              {page.data.data.map((e) => (
                <tr key={e.id} data-type={e.type}>
                  <td class="small nowrap">{fmtDateTime(e.effective_at)}</td>
                  <td><span class={`badge badge-event ${e.type.endsWith("deleted") || e.type.endsWith("suspended") ? "badge-danger" : ""}`}>{e.type}</span></td>
                  <td class="mono small">{actorText(e)}</td>
                  <td><Change e={e} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Audit log pages">
        <button type="button" class="btn btn-secondary btn-small" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>Newer</button>
        <span class="muted small">Page {cursors.length}</span>
        <button type="button" class="btn btn-secondary btn-small" disabled={!page.data?.has_more} onClick={() => page.data?.last_id && setCursors([...cursors, page.data.last_id])}>Older</button>
      </nav>
    </>
  );
}
