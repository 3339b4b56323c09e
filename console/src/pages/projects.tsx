// Projects (admin): list, create, suspend, activate, and per-model limit overrides; opening
// a project points the other pages at it.

import { useState } from "preact/hooks";
import { getJson, query, sendJson } from "../lib/api.ts";
import { fmtDate } from "../lib/format.ts";
import type { List, ModelLimits, Project } from "../lib/types.ts";
import { Confirm, Modal } from "../ui/dialog.tsx";
import { Empty, ErrorNotice, Loading, PageHeader } from "../ui/notice.tsx";
import { useLoad } from "../ui/use-load.ts";
import { LimitsEditor } from "./limits-editor.tsx";
import type { PageProps } from "./types.ts";

type Dialog = { kind: "create" } | { kind: "status"; project: Project } | { kind: "limits"; project: Project };

function CreateForm({ busy, onSubmit, onCancel }: { busy: boolean; onSubmit: (b: { name: string; id?: string }) => void; onCancel: () => void }) {
  const [name, setName] = useState("");
  const [id, setId] = useState("");
  return (
    <form class="form" onSubmit={(e) => { e.preventDefault(); onSubmit({ name: name.trim(), ...(id.trim() ? { id: id.trim() } : {}) }); }}>
      <label class="field"><span class="label">Name</span><input type="text" name="name" value={name} required maxLength={128} onInput={(e) => setName(e.currentTarget.value)} /></label>
      <label class="field"><span class="label">Id <span class="muted">(optional: proj_ and letters, digits, _ or -)</span></span><input type="text" name="id" class="mono" value={id} placeholder="proj_acme" onInput={(e) => setId(e.currentTarget.value)} /></label>
      <div class="form-actions">
        <button type="button" class="btn btn-secondary" onClick={onCancel}>Cancel</button>
        <button type="submit" class="btn btn-primary" disabled={busy || name.trim() === ""}>Create project</button>
      </div>
    </form>
  );
}

export function Projects({ me, projectId, selectProject }: PageProps) {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const list = useLoad((signal) => getJson<List<Project>>(me.cred, `/v1/organization/projects${query({ limit: 20, after })}`, { signal }), [after]);
  // The project list is read from KV and may lag a new project by up to a minute.
  const [fresh, setFresh] = useState<Project[]>([]);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const [openId, setOpenId] = useState("");

  const act = async (fn: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setActionError(null);
    try {
      await fn();
      setDialog(null);
      list.reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };
  const patch = (p: Project, body: { status?: string; limits?: ModelLimits }, msg: string) => act(async () => {
    const updated = await sendJson<Project>(me.cred, "PATCH", `/v1/organization/projects/${encodeURIComponent(p.id)}`, body);
    setFresh((f) => f.map((x) => (x.id === updated.id ? updated : x)));
    setFlash(msg);
  });
  const listed = list.data?.data ?? [];
  const rows = [...fresh.filter((f) => !listed.some((p) => p.id === f.id)), ...listed.map((p) => fresh.find((f) => f.id === p.id && f !== p) ?? p)];

  return (
    <>
      <PageHeader title="Projects" lead="Every customer project. Open one to manage its keys, usage and audit log."
        actions={<button type="button" class="btn btn-primary" onClick={() => { setActionError(null); setDialog({ kind: "create" }); }}>Create project</button>} />
      <form class="toolbar" onSubmit={(e) => { e.preventDefault(); if (openId.trim()) selectProject(openId.trim()); }} aria-label="Open a project by id">
        <label class="field inline"><span class="label">Open by id</span><input type="text" name="open-id" class="mono" value={openId} placeholder="proj_…" onInput={(e) => setOpenId(e.currentTarget.value)} /></label>
        <button type="submit" class="btn btn-secondary">Open</button>
      </form>
      <p class="flash" role="status" aria-live="polite">{flash}</p>
      {list.error ? <ErrorNotice error={list.error} onRetry={list.reload} /> : null}
      {!list.data && !list.error && <Loading label="Loading projects" />}
      {list.data && rows.length === 0 && <Empty title="No projects yet." />}
      {rows.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Projects">
          <table class="table" data-testid="projects-table">
            <caption class="sr-only">Projects</caption>
            <thead><tr><th scope="col">Project</th><th scope="col">Status</th><th scope="col">Limit overrides</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {rows.map((p) => (
                <tr key={p.id} data-testid={`project-${p.id}`} class={p.id === projectId ? "selected" : ""}>
                  <th scope="row"><span class="key-name">{p.name}</span><div class="mono muted small">{p.id}</div></th>
                  <td><span class={`badge ${p.status === "active" ? "badge-success" : "badge-danger"}`}>{p.status}</span></td>
                  <td class="small">{Object.keys(p.limits).length === 0 ? <span class="muted">catalog</span> : Object.entries(p.limits).map(([m, l]) => <div key={m}><span class="mono">{m}</span> {l.rpm}/{l.tpm}</div>)}</td>
                  <td class="small">{fmtDate(p.created_at)}</td>
                  <td class="row-actions">
                    <button type="button" class="btn btn-small btn-secondary" aria-label={`Open ${p.name}`} onClick={() => selectProject(p.id)}>{p.id === projectId ? "Opened" : "Open"}</button>
                    <button type="button" class="btn btn-small btn-secondary" aria-label={`Edit limits of ${p.name}`} onClick={() => { setActionError(null); setDialog({ kind: "limits", project: p }); }}>Limits</button>
                    <button type="button" class={`btn btn-small ${p.status === "active" ? "btn-danger-ghost" : "btn-secondary"}`} aria-label={`${p.status === "active" ? "Suspend" : "Activate"} ${p.name}`} onClick={() => { setActionError(null); setDialog({ kind: "status", project: p }); }}>
                      {p.status === "active" ? "Suspend" : "Activate"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Project pages">
        <button type="button" class="btn btn-secondary btn-small" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>Previous</button>
        <button type="button" class="btn btn-secondary btn-small" disabled={!list.data?.has_more} onClick={() => list.data?.last_id && setCursors([...cursors, list.data.last_id])}>Next</button>
      </nav>

      {dialog?.kind === "create" && (
        <Modal title="Create a project" onClose={() => setDialog(null)}>
          {actionError ? <ErrorNotice error={actionError} compact /> : null}
          <CreateForm busy={busy} onCancel={() => setDialog(null)} onSubmit={(b) => void act(async () => {
            const p = await sendJson<Project>(me.cred, "POST", "/v1/organization/projects", b);
            setFresh((f) => [p, ...f]);
            setFlash(`Project “${p.name}” created (${p.id}).`);
          })} />
        </Modal>
      )}
      {dialog?.kind === "status" && (() => {
        const p = dialog.project;
        const suspend = p.status === "active";
        return (
          <Confirm title={`${suspend ? "Suspend" : "Activate"} “${p.name}”?`} confirmLabel={suspend ? "Suspend project" : "Activate project"} danger={suspend} busy={busy}
            onCancel={() => setDialog(null)} onConfirm={() => void patch(p, { status: suspend ? "suspended" : "active" }, `Project “${p.name}” ${suspend ? "suspended" : "activated"}.`)}>
            {actionError ? <ErrorNotice error={actionError} compact /> : null}
            <p>{suspend ? "All of its keys are refused at once, for inference and management. Nothing is deleted; activate it to restore access." : "Its keys work again within seconds."}</p>
          </Confirm>
        );
      })()}
      {dialog?.kind === "limits" && (
        <Modal title={`Limits of “${dialog.project.name}”`} onClose={() => setDialog(null)} wide>
          {actionError ? <ErrorNotice error={actionError} compact /> : null}
          <LimitsEditor initial={dialog.project.limits} busy={busy} onCancel={() => setDialog(null)} onSave={(l) => void patch(dialog.project, { limits: l }, `Limits of “${dialog.project.name}” saved.`)} />
        </Modal>
      )}
    </>
  );
}
