// The budget alert webhook: where threshold alerts are POSTed, signed with a secret that is
// shown once, when the webhook is set.

import { useState } from "preact/hooks";
import type { Credential } from "../lib/api.ts";
import { deleteWebhook, getWebhook, setWebhook } from "../lib/budget.ts";
import { fmtDateTime } from "../lib/format.ts";
import { ErrorNotice, Loading } from "../ui/notice.tsx";
import { SecretReveal } from "../ui/secret.tsx";
import { useLoad } from "../ui/use-load.ts";
import { useAction } from "../ui/use-action.ts";

const NOTE = "It is shown only once. Your receiver checks x-budget-signature (sha256=HMAC-SHA256 of the body with this secret); if you lose it, set the webhook again for a new one.";

export function WebhookSection({ cred, projectId }: { cred: Credential; projectId: string }) {
  const hook = useLoad(() => getWebhook(cred, projectId), [projectId]);
  const [url, setUrl] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  const { busy, failure, act } = useAction(() => hook.reload());
  const save = (e: Event): void => {
    e.preventDefault();
    void act(async () => {
      const made = await setWebhook(cred, projectId, url.trim());
      setSecret(made.secret ?? null);
      setUrl("");
    });
  };
  return (
    <section aria-labelledby="webhook-title" class="card">
      <h2 id="webhook-title" class="card-title">Alert webhook</h2>
      <p class="muted small">Each threshold of each budget is POSTed here once a month when the spend reaches it; it is also written to the audit log.</p>
      {hook.error ? <ErrorNotice error={hook.error} onRetry={hook.reload} compact /> : null}
      {hook.loading && !hook.data && !hook.error ? <Loading label="Loading the webhook" /> : null}
      {secret !== null && <SecretReveal secret={secret} label="Signing secret" note={NOTE} onDone={() => setSecret(null)} />}
      {hook.data ? (
        <div class="copy-row" data-testid="webhook-current">
          <p>Alerts go to <span class="mono">{hook.data.url}</span>{hook.data.created_at ? <> since {fmtDateTime(hook.data.created_at)}</> : null}.</p>
          <button type="button" class="btn btn-small btn-danger-ghost" disabled={busy} onClick={() => void act(() => deleteWebhook(cred, projectId).then(() => setSecret(null)))}>Delete webhook</button>
        </div>
      ) : !hook.loading && !hook.error ? <p data-testid="webhook-none">No webhook: alerts are only written to the audit log.</p> : null}
      <form onSubmit={save} class="inline-form">
        <label class="field"><span class="label">{hook.data ? "New webhook URL (a new secret too)" : "Webhook URL"}</span>
          <input type="url" name="webhook-url" class="mono" required value={url} placeholder="https://example.com/budget-alerts" onInput={(e) => setUrl(e.currentTarget.value)} />
        </label>
        <div class="form-actions"><button type="submit" class="btn btn-primary" disabled={busy}>Set webhook</button></div>
      </form>
      {failure ? <ErrorNotice error={failure} compact /> : null}
    </section>
  );
}
