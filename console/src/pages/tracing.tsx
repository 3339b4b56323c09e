// Tracing settings: where the project's inference spans go (an MLflow tracking URI and
// experiment), how much they capture, and a write-only credential the page never shows.

import { useState } from "preact/hooks";
import { ApiFailure, getJson, sendJson, type Credential } from "../lib/api.ts";
import { fmtDateTime } from "../lib/format.ts";
import { ErrorNotice, Loading, PageHeader } from "../ui/notice.tsx";
import { useLoad } from "../ui/use-load.ts";
import type { PageProps } from "./types.ts";
import { useAction } from "../ui/use-action.ts";

interface Tracing { tracking_uri: string; experiment_id: string; capture: "metadata" | "full"; credential: { type: "bearer" | "basic" } | null; updated_at: number }
type CredChoice = "keep" | "none" | "bearer" | "basic";

const path = (projectId: string): string => `/v1/organization/projects/${encodeURIComponent(projectId)}/tracing`;

async function load(cred: Credential, projectId: string): Promise<Tracing | null> {
  try {
    return await getJson<Tracing>(cred, path(projectId));
  } catch (f) {
    if (f instanceof ApiFailure && f.code === "tracing_not_configured") return null;
    throw f;
  }
}

function credentialBody(choice: CredChoice, token: string, username: string, password: string): Record<string, unknown> {
  if (choice === "keep") return {};
  if (choice === "none") return { credential: null };
  return { credential: choice === "bearer" ? { type: "bearer", token } : { type: "basic", username, password } };
}

function TracingForm({ cred, projectId, current, onSaved }: { cred: Credential; projectId: string; current: Tracing | null; onSaved: () => void }) {
  const [uri, setUri] = useState(current?.tracking_uri ?? "");
  const [experiment, setExperiment] = useState(current?.experiment_id ?? "");
  const [capture, setCapture] = useState<"metadata" | "full">(current?.capture ?? "metadata");
  const [choice, setChoice] = useState<CredChoice>(current?.credential ? "keep" : "none");
  // Write-only: these start empty and are cleared after saving; the API never returns them.
  const [token, setToken] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const { busy, failure, act } = useAction(() => {
    setToken("");
    setPassword("");
    onSaved();
  });
  const save = (e: Event): void => {
    e.preventDefault();
    void act(() => sendJson(cred, "PUT", path(projectId), { tracking_uri: uri.trim(), experiment_id: experiment.trim(), capture, ...credentialBody(choice, token, username, password) }));
  };
  return (
    <form onSubmit={save} class="card" aria-label="Tracing destination">
      <label class="field"><span class="label">Tracking URI</span><input type="url" name="tracking-uri" class="mono" required value={uri} placeholder="https://mlflow.example.com" onInput={(e) => setUri(e.currentTarget.value)} /></label>
      <label class="field"><span class="label">Experiment id</span><input type="text" name="experiment-id" class="mono" required value={experiment} onInput={(e) => setExperiment(e.currentTarget.value)} /></label>
      <label class="field"><span class="label" id="capture-label">Capture</span>
        <select name="capture" aria-labelledby="capture-label" value={capture} onChange={(e) => setCapture(e.currentTarget.value as "metadata" | "full")}>
          <option value="metadata">metadata: model, tokens, timings, status</option>
          <option value="full">full: also prompts and answers</option>
        </select>
      </label>
      {capture === "full" && <p class="notice notice-warning" role="note">Full capture sends every prompt and answer of this project to the tracking server.</p>}
      <label class="field"><span class="label" id="credential-label">Credential</span>
        <select name="credential" aria-labelledby="credential-label" value={choice} onChange={(e) => setChoice(e.currentTarget.value as CredChoice)}>
          {current?.credential && <option value="keep">keep the stored {current.credential.type} credential</option>}
          <option value="none">none{current?.credential ? " (remove the stored one)" : ""}</option>
          <option value="bearer">bearer token</option>
          <option value="basic">user name and password</option>
        </select>
      </label>
      {choice === "bearer" && <label class="field"><span class="label">Token</span><input type="password" name="token" autoComplete="off" required value={token} onInput={(e) => setToken(e.currentTarget.value)} /></label>}
      {choice === "basic" && (
        <>
          <label class="field"><span class="label">User name</span><input type="text" name="username" autoComplete="off" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} /></label>
          <label class="field"><span class="label">Password</span><input type="password" name="password" autoComplete="off" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} /></label>
        </>
      )}
      <p class="small muted">The credential is write-only: it is stored encrypted and never shown again, here or in the API.</p>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>Save tracing</button>
        {current && <button type="button" class="btn btn-danger-ghost" disabled={busy} onClick={() => void act(() => sendJson(cred, "DELETE", path(projectId)))}>Stop tracing</button>}
      </div>
      {failure ? <ErrorNotice error={failure} compact /> : null}
    </form>
  );
}

export function TracingSettings({ me, projectId }: PageProps) {
  const pid = projectId ?? "";
  const tracing = useLoad(() => load(me.cred, pid), [pid]);
  const t = tracing.data;
  return (
    <>
      <PageHeader title="Tracing" lead={<>Where the inference spans of <span class="mono">{pid}</span> go (MLflow, OTLP).</>} />
      {tracing.error ? <ErrorNotice error={tracing.error} onRetry={tracing.reload} /> : null}
      {tracing.loading && t === null && !tracing.error ? <Loading label="Loading the tracing settings" /> : null}
      {!tracing.loading || t !== null ? (
        <>
          <p data-testid="tracing-state">
            {t ? <>Spans go to <span class="mono">{t.tracking_uri}</span>, experiment <span class="mono">{t.experiment_id}</span>, capture {t.capture}; {t.credential ? `a ${t.credential.type} credential is stored` : "no credential"}; updated {fmtDateTime(t.updated_at)}.</> : "Tracing is off for this project."}
          </p>
          <TracingForm key={t?.updated_at ?? 0} cred={me.cred} projectId={pid} current={t} onSaved={tracing.reload} />
        </>
      ) : null}
    </>
  );
}
