// Spent against a monthly budget: a meter, the amounts, and a clear word when it is spent.

import { fmtDate, fmtMoney } from "../lib/format.ts";
import type { BudgetLine } from "../lib/budget.ts";

export function BudgetMeter({ line, currency, label, resetsAt, testId }: { line: BudgetLine; currency: string; label: string; resetsAt: number; testId: string }) {
  if (line.limit === null) return <p class="small" data-testid={testId}>No budget: {fmtMoney(line.spent, currency)} spent this month, without a cap.</p>;
  const used = line.spent + line.held;
  const pct = Math.max(0, Math.min(100, (used / line.limit) * 100));
  const remaining = line.remaining ?? 0;
  const spentOut = remaining <= 0;
  return (
    <div class="meter" data-testid={testId} data-spent={line.spent} data-remaining={remaining}>
      <div class="meter-head">
        <span>{label}</span>
        <span class="mono"><span data-testid={`${testId}-spent`}>{fmtMoney(line.spent, currency)}</span> of {fmtMoney(line.limit, currency)}</span>
      </div>
      <div class="meter-bar" role="meter" aria-label={`${label}: share of the monthly budget used`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)} aria-valuetext={`${Math.round(pct)} % used`}>
        <span class={pct >= 80 ? "low" : ""} style={{ width: `${pct}%` }} />
      </div>
      <div class="meter-foot">
        <span>Remaining <strong data-testid={`${testId}-remaining`}>{fmtMoney(remaining, currency)}</strong>{line.held > 0 ? ` · ${fmtMoney(line.held, currency)} held by requests in flight` : ""}</span>
        <span>resets {fmtDate(resetsAt)}</span>
      </div>
      {line.thresholds.length > 0 && <p class="small muted">Alerts at {line.thresholds.map((t) => `${t} %`).join(", ")}.</p>}
      {!spentOut && remaining < line.limit * 0.01 && (
        <p class="notice notice-warning" role="status">Nearly spent: a request whose worst case (its <code>max_tokens</code> at the model's price) is above what remains is refused with <code>insufficient_quota</code>.</p>
      )}
      {spentOut && (
        <p class="notice notice-error" role="status" data-testid={`${testId}-spent-out`}>
          Spent: new requests are refused with <code>insufficient_quota</code> (HTTP 429) until {fmtDate(resetsAt)}, unless the budget is raised.
        </p>
      )}
    </div>
  );
}
