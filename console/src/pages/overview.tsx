// Overview: this month's requests, tokens and cost per model, the monthly budget, and each
// model's per-minute limits with what remains of them right now.

import { useState } from "preact/hooks";
import { getJson } from "../lib/api.ts";
import { getProjectBudget } from "../lib/budget.ts";
import { fmtCompact, fmtInt, fmtMoney } from "../lib/format.ts";
import { readLimits, type LimitResult } from "../lib/limits.ts";
import type { ModelCard, Project } from "../lib/types.ts";
import { fetchUsage, monthStart } from "../lib/usage-fetch.ts";
import { totals, totalsByGroup } from "../lib/usage-series.ts";
import { BudgetMeter } from "../ui/budget-meter.tsx";
import { ErrorNotice, Loading, PageHeader } from "../ui/notice.tsx";
import { useLoad } from "../ui/use-load.ts";
import type { PageProps } from "./types.ts";

function Stat({ label, value, sub, id }: { label: string; value: string; sub?: string; id: string }) {
  return (
    <div class="stat" data-testid={id}>
      <span class="stat-label">{label}</span>
      <span class="stat-value">{value}</span>
      {sub && <span class="stat-sub">{sub}</span>}
    </div>
  );
}

function MonthUsage({ me, projectId }: PageProps) {
  const now = Math.floor(Date.now() / 1000);
  const usage = useLoad(
    (signal) => fetchUsage(me.cred, { projectId, admin: me.cred.kind === "admin", start: monthStart(), end: now + 1, width: "1d", groupBy: ["model"] }, signal),
    [projectId],
  );
  if (!me.canUsage) return <p class="muted">This key has no <code>usage</code> scope, so this month's usage is not shown.</p>;
  if (usage.error) return <ErrorNotice error={usage.error} onRetry={usage.reload} />;
  if (!usage.data) return <Loading label="Loading this month's usage" />;
  const t = totals(usage.data);
  const rows = totalsByGroup(usage.data, "model");
  const month = new Date().toLocaleString("en", { month: "long", year: "numeric", timeZone: "UTC" });
  return (
    <section aria-labelledby="month-title">
      <h2 id="month-title">{month}</h2>
      <div class="stats">
        <Stat id="stat-requests" label="Requests" value={fmtInt(t.requests)} />
        <Stat id="stat-input" label="Input tokens" value={fmtCompact(t.input)} sub={fmtInt(t.input)} />
        <Stat id="stat-output" label="Output tokens" value={fmtCompact(t.output)} sub={fmtInt(t.output)} />
        <Stat id="stat-cost" label="Cost" value={fmtMoney(t.cost, t.currency)} sub="at catalog prices" />
      </div>
      <div class="table-wrap" tabIndex={0} role="region" aria-label="Usage this month per model">
        <table class="table">
          <caption class="sr-only">Usage this month per model</caption>
          <thead><tr><th scope="col">Model</th><th scope="col" class="num">Requests</th><th scope="col" class="num">Input tokens</th><th scope="col" class="num">Output tokens</th><th scope="col" class="num">Cost</th></tr></thead>
          <tbody>
            {rows.length === 0 && <tr><td colSpan={5} class="muted">No requests yet this month.</td></tr>}
            {rows.map((r) => (
              <tr key={r.group}>
                <th scope="row" class="mono">{r.group}</th>
                <td class="num">{fmtInt(r.requests)}</td>
                <td class="num">{fmtInt(r.input)}</td>
                <td class="num">{fmtInt(r.output)}</td>
                <td class="num">{fmtMoney(r.cost, r.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Meter({ label, remaining, limit, reset }: { label: string; remaining: number; limit: number; reset: string }) {
  // Remaining is at most the burst (a sixth of the minute's limit): the bar is against that.
  const burst = Math.max(1, Math.ceil(limit / 6));
  const pct = Math.max(0, Math.min(100, (remaining / burst) * 100));
  return (
    <div class="meter">
      <div class="meter-head">
        <span>{label}</span>
        <span class="mono">{fmtInt(remaining)} / {fmtInt(burst)} burst</span>
      </div>
      <div class="meter-bar" role="meter" aria-label={`${label} available now`} aria-valuemin={0} aria-valuemax={burst} aria-valuenow={Math.max(0, remaining)}>
        <span class={pct < 20 ? "low" : ""} style={{ width: `${pct}%` }} />
      </div>
      <div class="meter-foot">{fmtInt(limit)} per minute{reset && reset !== "0s" ? ` · full in ${reset}` : " · full"}</div>
    </div>
  );
}

function LimitsFor({ me, models, project }: { me: PageProps["me"]; models: ModelCard[]; project: Project | null }) {
  const [tick, setTick] = useState(0);
  const live = useLoad(async () => {
    const results = await Promise.all(models.map((m) => readLimits(me.cred, m).catch((e: unknown) => ({ kind: "unavailable", reason: String((e as Error).message) }) as LimitResult)));
    return new Map(models.map((m, i) => [m.id, results[i]!]));
  }, [tick, models]);
  const noInference = live.data !== null && [...live.data.values()].every((r) => r.kind === "no_inference");
  const spent = live.data === null ? undefined : [...live.data.values()].find((r) => r.kind === "budget_spent");
  return (
    <section aria-labelledby="limits-title">
      <div class="section-head">
        <h2 id="limits-title">Rate limits, right now</h2>
        <button type="button" class="btn btn-secondary btn-small" onClick={() => setTick((t) => t + 1)} disabled={live.loading}>Refresh</button>
      </div>
      <p class="muted small">Limits are per minute and shared by all keys of the project, with a burst of ten seconds' worth. Reading them spends nothing.</p>
      {noInference && <p class="notice notice-info">This key has no <code>inference</code> scope, so the router shows the limits but not what remains of them.</p>}
      {live.error ? <ErrorNotice error={live.error} onRetry={live.reload} /> : null}
      {spent && <div data-testid="budget-refusal"><ErrorNotice error={spent.failure} /></div>}
      <div class="limit-grid">
        {models.map((m) => {
          const r = live.data?.get(m.id);
          const override = project?.limits[m.id];
          const limits = r?.kind === "ok" ? { rpm: r.reading.requests.limit, tpm: r.reading.tokens.limit } : (override ?? m.limits);
          return (
            <div class="card limit-card" key={m.id} data-testid={`limits-${m.id}`}>
              <div class="card-title"><span class="mono">{m.id}</span>{override && <span class="badge badge-info">custom limits</span>}</div>
              {r?.kind === "ok" ? (
                <>
                  <Meter label="Requests" remaining={r.reading.requests.remaining} limit={r.reading.requests.limit} reset={r.reading.requests.reset} />
                  <Meter label="Tokens" remaining={r.reading.tokens.remaining} limit={r.reading.tokens.limit} reset={r.reading.tokens.reset} />
                </>
              ) : (
                <p class="small">{fmtInt(limits.rpm)} requests and {fmtInt(limits.tpm)} tokens per minute{r?.kind === "unavailable" ? ` · now: ${r.reason}` : r?.kind === "budget_spent" ? " · refused: monthly budget spent" : live.loading ? " · reading…" : ""}</p>
              )}
            </div>
          );
        })}
      </div>
    </section>
  );
}

function AdminLimits({ me, projectId }: PageProps) {
  const project = useLoad(() => getJson<Project>(me.cred, `/v1/organization/projects/${encodeURIComponent(projectId ?? "")}`), [projectId]);
  if (project.error) return <ErrorNotice error={project.error} onRetry={project.reload} />;
  if (!project.data) return <Loading />;
  const entries = Object.entries(project.data.limits);
  return (
    <section aria-labelledby="limits-title">
      <h2 id="limits-title">Limit overrides</h2>
      <p class="muted small">What remains right now is visible to the project's keys with the <code>inference</code> scope; the admin token sees the overrides. Edit them under Projects.</p>
      {entries.length === 0 ? <p>This project uses the catalog's standard limits for every model.</p> : (
        <ul class="plain">{entries.map(([m, l]) => <li key={m}><span class="mono">{m}</span>: {fmtInt(l.rpm)} RPM, {fmtInt(l.tpm)} TPM</li>)}</ul>
      )}
    </section>
  );
}

/** The project's budget at a glance; the Budgets page has the rest. Needs `keys` (or the admin). */
function BudgetSummary({ me, projectId }: PageProps) {
  const budget = useLoad((signal) => getProjectBudget(me.cred, projectId ?? "", signal), [projectId]);
  if (budget.error) return <ErrorNotice error={budget.error} onRetry={budget.reload} compact />;
  if (!budget.data) return <Loading label="Loading the budget" />;
  const own = me.keyId === null ? null : budget.data.api_keys.find((k) => k.api_key_id === me.keyId) ?? null;
  return (
    <section aria-labelledby="budget-title">
      <div class="section-head"><h2 id="budget-title">Budget this month</h2><a href="#/budgets">Budgets</a></div>
      <BudgetMeter line={budget.data} currency={budget.data.currency} label="The project" resetsAt={budget.data.resets_at} testId="overview-budget" />
      {own && <BudgetMeter line={own} currency={budget.data.currency} label="This key" resetsAt={budget.data.resets_at} testId="overview-key-budget" />}
    </section>
  );
}

export function Overview(props: PageProps) {
  const { me } = props;
  const name = me.project?.name ?? props.projectId ?? "your project";
  return (
    <>
      <PageHeader title="Overview" lead={<>Usage and limits of <strong>{name}</strong>{props.projectId && name !== props.projectId ? <> (<span class="mono">{props.projectId}</span>)</> : null}.</>} />
      <MonthUsage {...props} />
      {me.canKeys && <BudgetSummary {...props} />}
      {me.models ? <LimitsFor me={me} models={me.models} project={me.project} /> : <AdminLimits {...props} />}
    </>
  );
}
