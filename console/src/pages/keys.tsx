// Keys: the project's API keys; create (secret shown once), rename, re-scope, rotate, delete.

import { useState } from "preact/hooks";
import { getJson, query, sendJson } from "../lib/api.ts";
import { fmtDate, fmtDateTime, fmtRelative } from "../lib/format.ts";
import type { ApiKey, List } from "../lib/types.ts";
import { Confirm, Modal } from "../ui/dialog.tsx";
import { Empty, ErrorNotice, Loading, PageHeader } from "../ui/notice.tsx";
import { SecretReveal } from "../ui/secret.tsx";
import { useLoad } from "../ui/use-load.ts";
import { KeyForm, type KeyInput } from "./key-form.tsx";
import type { PageProps } from "./types.ts";

type Dialog =
  | { kind: "create" }
  | { kind: "edit"; key: ApiKey }
  | { kind: "rotate"; key: ApiKey }
  | { kind: "delete"; key: ApiKey }
  | { kind: "secret"; key: ApiKey; secret: string; rotated: boolean };

const PAGE = 20;

/** Only what changed is sent, so the audit log records exactly the change. */
function patchOf(k: ApiKey, v: KeyInput): Partial<KeyInput> {
  const out: Partial<KeyInput> = {};
  if (v.name !== k.name) out.name = v.name;
  if (JSON.stringify(v.scopes.slice().sort()) !== JSON.stringify(k.scopes.slice().sort())) out.scopes = v.scopes;
  if (JSON.stringify(v.models) !== JSON.stringify(k.models)) out.models = v.models;
  if (v.expires_at !== k.expires_at) out.expires_at = v.expires_at;
  return out;
}

function Row({ k, self, onAction }: { k: ApiKey; self: boolean; onAction: (d: Dialog) => void }) {
  const expired = k.expires_at !== null && k.expires_at * 1000 <= Date.now();
  return (
    <tr data-testid={`key-${k.id}`}>
      <th scope="row">
        <span class="key-name">{k.name}</span>
        {self && <span class="badge badge-info">signed in</span>}
        <div class="mono muted small">{k.id}</div>
        <div class="muted small" title={fmtDateTime(k.created_at)}>created {fmtDate(k.created_at)}</div>
      </th>
      <td class="mono small">{k.redacted_value}</td>
      <td class="scopes">{k.scopes.map((s) => <span class="badge" key={s}>{s}</span>)}</td>
      <td class="small">{k.models === null ? <span class="muted">all</span> : k.models.map((m) => <div class="mono" key={m}>{m}</div>)}</td>
      <td class="small">
        {k.expires_at === null ? <span class="muted">never</span> : (
          <span class={expired ? "badge badge-danger" : ""} title={fmtDateTime(k.expires_at)}>{expired ? "expired" : k.expires_at - Date.now() / 1000 > 30 * 86_400 ? fmtDate(k.expires_at) : fmtRelative(k.expires_at)}</span>
        )}
      </td>
      <td class="row-actions">
        <button type="button" class="btn btn-small btn-secondary" onClick={() => onAction({ kind: "edit", key: k })} aria-label={`Edit ${k.name}`}>Edit</button>
        <button type="button" class="btn btn-small btn-secondary" onClick={() => onAction({ kind: "rotate", key: k })} aria-label={`Rotate ${k.name}`}>Rotate</button>
        <button type="button" class="btn btn-small btn-danger-ghost" onClick={() => onAction({ kind: "delete", key: k })} aria-label={`Delete ${k.name}`}>Delete</button>
      </td>
    </tr>
  );
}

export function Keys({ me, projectId }: PageProps) {
  const base = `/v1/organization/projects/${encodeURIComponent(projectId ?? "")}/api_keys`;
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const list = useLoad((signal) => getJson<List<ApiKey>>(me.cred, `${base}${query({ limit: PAGE, after })}`, { signal }), [base, after]);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [flash, setFlash] = useState<string | null>(null);

  const act = async (fn: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setActionError(null);
    try {
      await fn();
      list.reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };
  const close = (): void => {
    setDialog(null);
    setActionError(null);
  };
  const create = (v: KeyInput) => act(async () => {
    const k = await sendJson<ApiKey>(me.cred, "POST", base, v);
    setDialog({ kind: "secret", key: k, secret: k.value ?? "", rotated: false });
    setFlash(`Key “${k.name}” created.`);
  });
  const edit = (k: ApiKey, v: KeyInput) => act(async () => {
    const patch = patchOf(k, v);
    if (Object.keys(patch).length > 0) await sendJson<ApiKey>(me.cred, "PATCH", `${base}/${encodeURIComponent(k.id)}`, patch);
    setDialog(null);
    setFlash(`Key “${v.name}” saved.`);
  });
  const rotate = (k: ApiKey) => act(async () => {
    const r = await sendJson<ApiKey>(me.cred, "POST", `${base}/${encodeURIComponent(k.id)}/rotate`);
    setDialog({ kind: "secret", key: r, secret: r.value ?? "", rotated: true });
    setFlash(`Key “${k.name}” rotated: the old secret no longer works.`);
  });
  const remove = (k: ApiKey) => act(async () => {
    await sendJson(me.cred, "DELETE", `${base}/${encodeURIComponent(k.id)}`);
    setDialog(null);
    setFlash(`Key “${k.name}” deleted.`);
  });

  return (
    <>
      <PageHeader
        title="API keys"
        lead="Keys of this project. A secret is shown once, when the key is created or rotated."
        actions={<button type="button" class="btn btn-primary" onClick={() => { setActionError(null); setDialog({ kind: "create" }); }}>Create key</button>}
      />
      <p class="flash" role="status" aria-live="polite">{flash}</p>
      {list.error ? <ErrorNotice error={list.error} onRetry={list.reload} /> : null}
      {!list.data && !list.error && <Loading label="Loading keys" />}
      {list.data && list.data.data.length === 0 && <Empty title="No keys yet.">Create one to call the models.</Empty>}
      {list.data && list.data.data.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="API keys">
          <table class="table keys-table">
            <caption class="sr-only">API keys</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Secret</th><th scope="col">Scopes</th><th scope="col">Models</th><th scope="col">Expires</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>{list.data.data.map((k) => <Row key={k.id} k={k} self={k.id === me.keyId} onAction={(d) => { setActionError(null); setDialog(d); }} />)}</tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Key pages">
        <button type="button" class="btn btn-secondary btn-small" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>Previous</button>
        <button type="button" class="btn btn-secondary btn-small" disabled={!list.data?.has_more} onClick={() => list.data?.last_id && setCursors([...cursors, list.data.last_id])}>Next</button>
      </nav>

      {dialog?.kind === "create" && (
        <Modal title="Create an API key" onClose={close}>
          {actionError ? <ErrorNotice error={actionError} compact /> : null}
          <KeyForm models={me.models} busy={busy} submitLabel="Create key" onSubmit={(v) => void create(v)} onCancel={close} />
        </Modal>
      )}
      {dialog?.kind === "edit" && (
        <Modal title={`Edit “${dialog.key.name}”`} onClose={close}>
          {actionError ? <ErrorNotice error={actionError} compact /> : null}
          <KeyForm initial={dialog.key} models={me.models} busy={busy} submitLabel="Save" onSubmit={(v) => void edit(dialog.key, v)} onCancel={close} />
        </Modal>
      )}
      {dialog?.kind === "rotate" && (
        <Confirm title={`Rotate “${dialog.key.name}”?`} confirmLabel="Rotate key" busy={busy} onConfirm={() => void rotate(dialog.key)} onCancel={close}>
          {actionError ? <ErrorNotice error={actionError} compact /> : null}
          <p>A new secret replaces <span class="mono">{dialog.key.redacted_value}</span>. The old one stops working at once; update every place that uses it.</p>
          {dialog.key.id === me.keyId && <p class="notice notice-warning">This is the key you are signed in with: you will need the new secret to sign in again.</p>}
        </Confirm>
      )}
      {dialog?.kind === "delete" && (
        <Confirm title={`Delete “${dialog.key.name}”?`} confirmLabel="Delete key" danger busy={busy} onConfirm={() => void remove(dialog.key)} onCancel={close}>
          {actionError ? <ErrorNotice error={actionError} compact /> : null}
          <p>Requests with <span class="mono">{dialog.key.redacted_value}</span> will be refused. This cannot be undone.</p>
          {dialog.key.id === me.keyId && <p class="notice notice-warning">This is the key you are signed in with: the console will sign you out.</p>}
        </Confirm>
      )}
      {dialog?.kind === "secret" && (
        <Modal title={dialog.rotated ? `New secret for “${dialog.key.name}”` : `Key “${dialog.key.name}” created`} onClose={() => setDialog(null)}>
          <SecretReveal secret={dialog.secret} onDone={() => setDialog(null)} />
        </Modal>
      )}
    </>
  );
}
