// Budgets: the project's monthly budget (the admin sets it, keys with the `keys` scope read
// it), what is spent and remains this month, its keys' budgets and the alert webhook.

import { useState } from "preact/hooks";
import type { Credential } from "../lib/api.ts";
import { deleteProjectBudget, getProjectBudget, parseThresholds, setProjectBudget, type ProjectBudget } from "../lib/budget.ts";
import { BudgetMeter } from "../ui/budget-meter.tsx";
import { ErrorNotice, Loading, PageHeader } from "../ui/notice.tsx";
import { useLoad } from "../ui/use-load.ts";
import { WebhookSection } from "./budget-webhook.tsx";
import { KeyBudgets } from "./key-budgets.tsx";
import type { PageProps } from "./types.ts";
import { useAction } from "../ui/use-action.ts";

function ProjectBudgetForm({ cred, projectId, budget, onChanged }: { cred: Credential; projectId: string; budget: ProjectBudget; onChanged: () => void }) {
  const [amount, setAmount] = useState(budget.limit === null ? "" : String(budget.limit));
  const [thresholds, setThresholds] = useState((budget.thresholds.length > 0 ? budget.thresholds : [50, 80, 100]).join(", "));
  const { busy, failure, act } = useAction(() => onChanged());
  const t = parseThresholds(thresholds);
  const save = (e: Event): void => {
    e.preventDefault();
    if (t !== null) void act(() => setProjectBudget(cred, projectId, Number(amount), t));
  };
  return (
    <form onSubmit={save} class="inline-form" aria-label="Project budget">
      <label class="field inline"><span class="label">Monthly budget ({budget.currency})</span>
        <input type="number" name="project-amount" min="0.000001" step="any" required value={amount} onInput={(e) => setAmount(e.currentTarget.value)} />
      </label>
      <label class="field inline"><span class="label">Alert thresholds (%)</span>
        <input type="text" name="thresholds" value={thresholds} aria-invalid={t === null} aria-describedby="thresholds-help" onInput={(e) => setThresholds(e.currentTarget.value)} />
      </label>
      <span id="thresholds-help" class="small muted">{t === null ? "Whole percentages from 1 to 100, separated by commas." : "One alert each, once a month."}</span>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy || t === null}>Save budget</button>
        {budget.limit !== null && <button type="button" class="btn btn-danger-ghost" disabled={busy} onClick={() => void act(() => deleteProjectBudget(cred, projectId))}>Remove budget</button>}
      </div>
      {failure ? <ErrorNotice error={failure} compact /> : null}
    </form>
  );
}

export function Budgets({ me, projectId }: PageProps) {
  const pid = projectId ?? "";
  const budget = useLoad((signal) => getProjectBudget(me.cred, pid, signal), [pid]);
  const admin = me.cred.kind === "admin";
  return (
    <>
      <PageHeader title="Budgets" lead={<>Monthly spend caps of <span class="mono">{pid}</span>, in calendar months (UTC), at catalog prices.</>} />
      {budget.error ? <ErrorNotice error={budget.error} onRetry={budget.reload} /> : null}
      {!budget.data && !budget.error ? <Loading label="Loading the budget" /> : null}
      {budget.data && (
        <>
          <section aria-labelledby="project-budget-title" class="card">
            <div class="section-head">
              <h2 id="project-budget-title" class="card-title">Project budget · {budget.data.month}</h2>
              <button type="button" class="btn btn-secondary btn-small" onClick={budget.reload} disabled={budget.loading}>Refresh</button>
            </div>
            <BudgetMeter line={budget.data} currency={budget.data.currency} label="The project" resetsAt={budget.data.resets_at} testId="project-meter" />
            {admin ? (
              <ProjectBudgetForm key={`${budget.data.limit}-${budget.data.thresholds.join()}`} cred={me.cred} projectId={pid} budget={budget.data} onChanged={budget.reload} />
            ) : (
              <p class="muted small">Only an operator (the admin token) sets the project's budget.</p>
            )}
          </section>
          <KeyBudgets cred={me.cred} projectId={pid} budget={budget.data} onChanged={budget.reload} />
          <WebhookSection cred={me.cred} projectId={pid} />
        </>
      )}
    </>
  );
}
