// The per-model limit overrides of a project: rows of model, RPM and TPM, saved whole.

import { useState } from "preact/hooks";
import type { ModelLimits } from "../lib/types.ts";

interface Row { model: string; rpm: string; tpm: string }

export function LimitsEditor({ initial, busy, onSave, onCancel }: { initial: ModelLimits; busy: boolean; onSave: (l: ModelLimits) => void; onCancel: () => void }) {
  const [rows, setRows] = useState<Row[]>(Object.entries(initial).map(([model, l]) => ({ model, rpm: String(l.rpm), tpm: String(l.tpm) })));
  const [problem, setProblem] = useState<string | null>(null);
  const set = (i: number, patch: Partial<Row>): void => setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const save = (e: Event): void => {
    e.preventDefault();
    const out: ModelLimits = {};
    for (const r of rows) {
      const rpm = Number(r.rpm);
      const tpm = Number(r.tpm);
      if (r.model.trim() === "") return setProblem("Every row needs a model id.");
      if (!Number.isInteger(rpm) || rpm < 1 || !Number.isInteger(tpm) || tpm < 1) return setProblem(`Limits for ${r.model} must be whole numbers above 0.`);
      out[r.model.trim()] = { rpm, tpm };
    }
    setProblem(null);
    onSave(out);
  };
  return (
    <form class="form" onSubmit={save} noValidate>
      <p class="muted small">Overrides replace the catalog's limits for this project; models not listed keep the catalog's. The whole set is saved at once.</p>
      <table class="table compact-table">
        <caption class="sr-only">Limit overrides</caption>
        <thead><tr><th scope="col">Model id</th><th scope="col">RPM</th><th scope="col">TPM</th><th scope="col"><span class="sr-only">Remove</span></th></tr></thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td><input type="text" aria-label={`Model id, row ${i + 1}`} class="mono" value={r.model} onInput={(e) => set(i, { model: e.currentTarget.value })} /></td>
              <td><input type="number" min={1} aria-label={`Requests per minute, row ${i + 1}`} value={r.rpm} onInput={(e) => set(i, { rpm: e.currentTarget.value })} /></td>
              <td><input type="number" min={1} aria-label={`Tokens per minute, row ${i + 1}`} value={r.tpm} onInput={(e) => set(i, { tpm: e.currentTarget.value })} /></td>
              <td><button type="button" class="btn btn-small btn-danger-ghost" aria-label={`Remove row ${i + 1}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>Remove</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" class="btn btn-secondary btn-small" onClick={() => setRows([...rows, { model: "", rpm: "", tpm: "" }])}>Add model</button>
      {problem && <p class="field-error" role="alert">{problem}</p>}
      <div class="form-actions">
        <button type="button" class="btn btn-secondary" onClick={onCancel}>Cancel</button>
        <button type="submit" class="btn btn-primary" disabled={busy}>Save limits</button>
      </div>
    </form>
  );
}
