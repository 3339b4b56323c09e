// The form for a new key and for changing one: name, scopes, models and expiry.

import { useState } from "preact/hooks";
import { SCOPES, type ApiKey, type ModelCard, type Scope } from "../lib/types.ts";

export interface KeyInput {
  name: string;
  scopes: Scope[];
  models: string[] | null;
  expires_at: number | null;
}

const SCOPE_HELP: Record<Scope, string> = {
  inference: "call the models",
  keys: "manage keys, read the audit log",
  usage: "read usage and costs",
};

/**
 * The router stores a key's index entry with a KV expiration a day after the key's, and KV
 * takes 32-bit seconds: later expiries fail on the server (reported; drop this once fixed).
 */
const LATEST_EXPIRY = 2_147_483_647 - 2 * 86_400;

const toLocalInput = (unixS: number): string => {
  const d = new Date(unixS * 1000);
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
};

export function KeyForm(props: { initial?: ApiKey; models: ModelCard[] | null; busy: boolean; submitLabel: string; onSubmit: (k: KeyInput) => void; onCancel: () => void }) {
  const init = props.initial;
  const [name, setName] = useState(init?.name ?? "");
  const [scopes, setScopes] = useState<Scope[]>(init?.scopes ?? ["inference"]);
  const [allModels, setAllModels] = useState(init ? init.models === null : true);
  const [models, setModels] = useState<string[]>(init?.models ?? []);
  const [modelText, setModelText] = useState((init?.models ?? []).join(", "));
  const [expires, setExpires] = useState(init?.expires_at ? toLocalInput(init.expires_at) : "");
  const [problem, setProblem] = useState<string | null>(null);

  const toggle = <T,>(list: T[], v: T, on: boolean): T[] => (on ? [...new Set([...list, v])] : list.filter((x) => x !== v));
  const submit = (e: Event): void => {
    e.preventDefault();
    const chosen = props.models ? models : modelText.split(",").map((s) => s.trim()).filter(Boolean);
    if (name.trim() === "") return setProblem("Give the key a name.");
    if (scopes.length === 0) return setProblem("Choose at least one scope.");
    if (!allModels && chosen.length === 0) return setProblem("Choose at least one model, or allow all models.");
    const exp = expires === "" ? null : Math.floor(new Date(expires).getTime() / 1000);
    if (exp !== null && !(exp > Date.now() / 1000)) return setProblem("The expiry must be in the future.");
    if (exp !== null && exp > LATEST_EXPIRY) return setProblem("The expiry must be before 2038-01-17.");
    setProblem(null);
    props.onSubmit({ name: name.trim(), scopes, models: allModels ? null : chosen, expires_at: exp });
  };

  return (
    <form class="form" onSubmit={submit} noValidate>
      <label class="field">
        <span class="label">Name</span>
        <input type="text" name="name" value={name} maxLength={128} required onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. production backend" />
      </label>
      <fieldset class="field">
        <legend class="label">Scopes</legend>
        {SCOPES.map((s) => (
          <label class="check" key={s}>
            <input type="checkbox" name={`scope-${s}`} checked={scopes.includes(s)} onChange={(e) => setScopes(toggle(scopes, s, e.currentTarget.checked))} />
            <span><span class="mono">{s}</span> <span class="muted">— {SCOPE_HELP[s]}</span></span>
          </label>
        ))}
      </fieldset>
      <fieldset class="field">
        <legend class="label">Models</legend>
        <label class="check"><input type="radio" name="models-mode" checked={allModels} onChange={() => setAllModels(true)} /><span>All models, including ones added later</span></label>
        <label class="check"><input type="radio" name="models-mode" checked={!allModels} onChange={() => setAllModels(false)} /><span>Only these models</span></label>
        {!allModels && (props.models ? (
          <div class="check-grid">
            {props.models.map((m) => (
              <label class="check" key={m.id}>
                <input type="checkbox" name={`model-${m.id}`} checked={models.includes(m.id)} onChange={(e) => setModels(toggle(models, m.id, e.currentTarget.checked))} />
                <span class="mono">{m.id}</span>
              </label>
            ))}
          </div>
        ) : (
          <label class="field">
            <span class="label">Model ids, comma separated</span>
            <input type="text" name="models" value={modelText} onInput={(e) => setModelText(e.currentTarget.value)} />
          </label>
        ))}
      </fieldset>
      <label class="field">
        <span class="label">Expires <span class="muted">(your local time; empty: never)</span></span>
        <input type="datetime-local" name="expires" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
      </label>
      {problem && <p class="field-error" role="alert">{problem}</p>}
      <div class="form-actions">
        <button type="button" class="btn btn-secondary" onClick={props.onCancel}>Cancel</button>
        <button type="submit" class="btn btn-primary" disabled={props.busy}>{props.submitLabel}</button>
      </div>
    </form>
  );
}
