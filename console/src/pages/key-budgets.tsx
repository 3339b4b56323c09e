// Each key's own monthly budget (never above the project's): set or removed by the admin
// or a key with the `keys` scope, within its own grant.

import { useState } from "preact/hooks";
import { getJson, type Credential } from "../lib/api.ts";
import { deleteKeyBudget, setKeyBudget, type ProjectBudget } from "../lib/budget.ts";
import type { ApiKey, List } from "../lib/types.ts";
import { BudgetMeter } from "../ui/budget-meter.tsx";
import { ErrorNotice, Loading } from "../ui/notice.tsx";
import { useLoad } from "../ui/use-load.ts";
import { useAction } from "../ui/use-action.ts";

function KeyRow({ cred, projectId, apiKey, budget, onChanged }: { cred: Credential; projectId: string; apiKey: ApiKey; budget: ProjectBudget; onChanged: () => void }) {
  const line = budget.api_keys.find((k) => k.api_key_id === apiKey.id) ?? null;
  const [amount, setAmount] = useState(line?.limit === null || line === null ? "" : String(line.limit));
  const { busy, failure, act } = useAction(() => onChanged());
  const save = (e: Event): void => {
    e.preventDefault();
    void act(() => setKeyBudget(cred, projectId, apiKey.id, Number(amount)));
  };
  return (
    <li class="card" data-testid={`key-budget-${apiKey.id}`}>
      <div class="card-title">{apiKey.name} <span class="mono muted small">{apiKey.redacted_value}</span></div>
      <BudgetMeter line={line ?? { limit: null, spent: 0, held: 0, leased: 0, remaining: null, thresholds: [] }} currency={budget.currency} label="This key" resetsAt={budget.resets_at} testId={`key-meter-${apiKey.id}`} />
      <form onSubmit={save} class="inline-form">
        <label class="field inline"><span class="label">Monthly budget of {apiKey.name} ({budget.currency})</span>
          <input type="number" name="key-amount" min="0.000001" step="any" required value={amount} onInput={(e) => setAmount(e.currentTarget.value)} />
        </label>
        <button type="submit" class="btn btn-secondary btn-small" disabled={busy}>Set key budget</button>
        {line !== null && <button type="button" class="btn btn-small btn-danger-ghost" disabled={busy} onClick={() => void act(() => deleteKeyBudget(cred, projectId, apiKey.id))}>Remove key budget</button>}
      </form>
      {failure ? <ErrorNotice error={failure} compact /> : null}
    </li>
  );
}

export function KeyBudgets({ cred, projectId, budget, onChanged }: { cred: Credential; projectId: string; budget: ProjectBudget; onChanged: () => void }) {
  const keys = useLoad((signal) => getJson<List<ApiKey>>(cred, `/v1/organization/projects/${encodeURIComponent(projectId)}/api_keys?limit=100`, { signal }), [projectId]);
  return (
    <section aria-labelledby="key-budgets-title">
      <h2 id="key-budgets-title">Key budgets</h2>
      <p class="muted small">A key with a budget of its own is refused when either its budget or the project's is spent. A key's budget cannot be above the project's.</p>
      {keys.error ? <ErrorNotice error={keys.error} onRetry={keys.reload} /> : null}
      {!keys.data && !keys.error ? <Loading label="Loading the keys" /> : null}
      {keys.data && (
        <ul class="plain key-budgets">
          {keys.data.data.map((k) => <KeyRow key={k.id} cred={cred} projectId={projectId} apiKey={k} budget={budget} onChanged={onChanged} />)}
        </ul>
      )}
    </section>
  );
}
