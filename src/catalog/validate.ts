// Validates a catalog document; every problem is reported with the path of the bad field.

import { isObj, type JsonObject } from "../openai/json.ts";
import { CONTINENTS, type Catalog, type ModelEntry } from "./types.ts";

export type CatalogResult = { ok: true; catalog: Catalog } | { ok: false; errors: string[] };

const DAY_MS = 86_400_000;
/** Notice periods promised in the service terms: 6 months, 3 with a direct successor. */
export const NOTICE_DAYS = { withoutSuccessor: 182, withSuccessor: 91 } as const;

/** What a model or origin id may look like. */
export const ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
const DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/;

type Obj = JsonObject;

class Checker {
  readonly errors: string[] = [];
  fail(path: string, msg: string): void {
    this.errors.push(`${path}: ${msg}`);
  }
  str(o: Obj, k: string, path: string, opt = false, re?: RegExp): void {
    const v = o[k];
    if (v === undefined && opt) return;
    if (typeof v !== "string" || v.length === 0) return this.fail(`${path}.${k}`, "must be a non-empty string");
    if (re && !re.test(v)) this.fail(`${path}.${k}`, `has an invalid format: ${JSON.stringify(v)}`);
  }
  num(o: Obj, k: string, path: string, min: number, opt = false, int = false): void {
    const v = o[k];
    if (v === undefined && opt) return;
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || (int && !Number.isInteger(v))) {
      this.fail(`${path}.${k}`, `must be ${int ? "an integer" : "a number"} >= ${min}`);
    }
  }
  url(o: Obj, k: string, path: string): void {
    const v = o[k];
    const u = typeof v === "string" ? URL.parse(v) : null;
    if (u?.protocol !== "https:" && u?.protocol !== "http:") this.fail(`${path}.${k}`, "must be an http(s) URL");
  }
  oneOf(o: Obj, k: string, path: string, values: readonly string[]): void {
    if (!values.includes(o[k] as string)) this.fail(`${path}.${k}`, `must be one of ${values.join(", ")}`);
  }
  obj(o: Obj, k: string, path: string, opt = false): Obj | null {
    const v = o[k];
    if (v === undefined && opt) return null;
    if (!isObj(v)) {
      this.fail(`${path}.${k}`, "must be an object");
      return null;
    }
    return v;
  }
  known(o: Obj, path: string, keys: readonly string[]): void {
    for (const k of Object.keys(o)) if (!keys.includes(k)) this.fail(`${path}.${k}`, "is not a known field");
  }
}

const MODEL_KEYS = [
  "id", "type", "plan", "owned_by", "display_name", "description", "context_length", "license",
  "source_url", "pricing", "limits", "expected_completion_tokens", "lifecycle", "origins", "timeouts", "failover",
] as const;

const ORIGIN_KEYS = ["id", "url", "region", "model", "weight", "priority", "credential", "health_url", "continent", "lat", "lon"] as const;

function checkModel(c: Checker, m: Obj, p: string): void {
  c.known(m, p, MODEL_KEYS);
  c.str(m, "id", p, false, ID);
  c.oneOf(m, "type", p, ["chat", "embedding"]);
  c.oneOf(m, "plan", p, ["Base", "Plus", "Premium"]);
  c.str(m, "owned_by", p);
  c.str(m, "display_name", p, true);
  c.str(m, "description", p, true);
  c.num(m, "context_length", p, 1, false, true);
  c.url(m, "source_url", p);
  const lic = c.obj(m, "license", p);
  if (lic) {
    c.str(lic, "name", `${p}.license`);
    c.url(lic, "url", `${p}.license`);
  }
  const price = c.obj(m, "pricing", p);
  if (price) {
    c.num(price, "input_per_million", `${p}.pricing`, 0);
    c.num(price, "output_per_million", `${p}.pricing`, 0);
    c.str(price, "currency", `${p}.pricing`, false, /^[A-Z]{3}$/);
  }
  const limits = c.obj(m, "limits", p);
  if (limits) for (const k of ["rpm", "tpm"]) c.num(limits, k, `${p}.limits`, 1, false, true);
  checkExpectedCompletion(c, m, p);
  optionalCounts(c, m, p, "timeouts", ["first_byte_ms", "idle_ms"]);
  optionalCounts(c, m, p, "failover", ["max_attempts", "budget_ms"]);
  const lc = c.obj(m, "lifecycle", p, true);
  if (lc) {
    c.known(lc, `${p}.lifecycle`, ["released", "deprecated", "sunset", "successor"]);
    for (const k of ["released", "deprecated", "sunset"]) c.str(lc, k, `${p}.lifecycle`, true, DATE);
    c.str(lc, "successor", `${p}.lifecycle`, true, ID);
  }
  checkOrigins(c, m.origins, p);
}

/** An optional section of only these fields, each an optional whole number >= 1 (timeouts, failover). */
function optionalCounts(c: Checker, m: Obj, p: string, key: string, fields: readonly string[]): void {
  const section = c.obj(m, key, p, true);
  if (!section) return;
  c.known(section, `${p}.${key}`, fields);
  for (const k of fields) c.num(section, k, `${p}.${key}`, 1, true, true);
}

/** The reservation prior: a whole number of tokens an answer can really have, 1..context_length. */
function checkExpectedCompletion(c: Checker, m: Obj, p: string): void {
  const v = m.expected_completion_tokens;
  if (v === undefined) return;
  const ctx = typeof m.context_length === "number" && Number.isInteger(m.context_length) && m.context_length >= 1 ? m.context_length : null;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || (ctx !== null && v > ctx)) {
    c.fail(`${p}.expected_completion_tokens`, `must be an integer from 1 to ${ctx === null ? "context_length" : `the context length (${ctx})`}`);
  }
}

function checkOrigins(c: Checker, origins: unknown, p: string): void {
  if (!Array.isArray(origins) || origins.length === 0) {
    c.fail(`${p}.origins`, "must be a non-empty array");
    return;
  }
  const ids = new Set<string>();
  origins.forEach((o: unknown, j) => {
    const op = `${p}.origins[${j}]`;
    if (!isObj(o)) return c.fail(op, "must be an object");
    c.known(o, op, ORIGIN_KEYS);
    c.str(o, "id", op, false, ID);
    if (typeof o.id === "string") {
      if (ids.has(o.id)) c.fail(`${op}.id`, `duplicates origin id ${JSON.stringify(o.id)}`);
      ids.add(o.id);
    }
    c.url(o, "url", op);
    c.str(o, "region", op);
    c.str(o, "model", op, true);
    c.num(o, "weight", op, 0, true);
    c.num(o, "priority", op, 0, true, true);
    c.str(o, "credential", op, true, SECRET_NAME);
    if (o.health_url !== undefined) c.url(o, "health_url", op);
    if (o.continent !== undefined) c.oneOf(o, "continent", op, CONTINENTS);
    for (const [k, max] of [["lat", 90], ["lon", 180]] as const) {
      const v = o[k];
      if (v !== undefined && (typeof v !== "number" || !(Math.abs(v) <= max))) c.fail(`${op}.${k}`, `must be a number between -${max} and ${max}`);
    }
    if ((o.lat === undefined) !== (o.lon === undefined)) c.fail(op, "lat and lon go together");
  });
}

const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const article = (word: string): string => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);

/**
 * Cross-model rules: unique ids, successors that exist and fit, the promised notice periods.
 * They read the raw models defensively, so they run even when field checks failed and a bad
 * catalog gets every problem in one round.
 */
function checkLifecycles(c: Checker, models: unknown[]): void {
  const byId = new Map<string, Obj>();
  models.forEach((m, i) => {
    const id = isObj(m) ? text(m.id) : undefined;
    if (id === undefined || !isObj(m)) return;
    if (byId.has(id)) c.fail(`models[${i}].id`, `duplicates model id ${JSON.stringify(id)}`);
    byId.set(id, m);
  });
  // Health is kept per origin id, so one id must name one server everywhere.
  const urlOf = new Map<string, string>();
  models.forEach((m, i) => {
    const origins = isObj(m) && Array.isArray(m.origins) ? (m.origins as unknown[]) : [];
    origins.forEach((o, j) => {
      const [id, url] = isObj(o) ? [text(o.id), text(o.url)] : [undefined, undefined];
      if (id === undefined || url === undefined) return;
      const seen = urlOf.get(id);
      if (seen !== undefined && seen !== url) c.fail(`models[${i}].origins[${j}].id`, `names another url than elsewhere for origin ${JSON.stringify(id)}`);
      urlOf.set(id, url);
    });
  });
  models.forEach((m, i) => {
    const lc = isObj(m) && isObj(m.lifecycle) ? m.lifecycle : null;
    if (!isObj(m) || lc === null) return;
    const p = `models[${i}].lifecycle`;
    const successor = text(lc.successor);
    if (successor !== undefined) {
      const s = byId.get(successor);
      if (!s) c.fail(`${p}.successor`, `names unknown model ${JSON.stringify(successor)}`);
      else if (s === m || s.id === m.id) c.fail(`${p}.successor`, "cannot be the model itself");
      else if (typeof s.type === "string" && typeof m.type === "string" && s.type !== m.type) c.fail(`${p}.successor`, `is ${article(s.type)} model, not ${article(m.type)} model`);
    }
    const [sunset, deprecated] = [text(lc.sunset), text(lc.deprecated)];
    if (lc.sunset !== undefined) {
      if (lc.deprecated === undefined) return c.fail(`${p}.deprecated`, "is required when a sunset is set");
      if (sunset === undefined || deprecated === undefined) return; // a bad date type is reported by the field checks
      const days = (Date.parse(sunset) - Date.parse(deprecated)) / DAY_MS;
      const need = lc.successor !== undefined ? NOTICE_DAYS.withSuccessor : NOTICE_DAYS.withoutSuccessor;
      if (!(days >= need)) c.fail(`${p}.sunset`, `must be at least ${need} days after deprecated (notice period)`);
    }
  });
}

export function validateCatalog(input: unknown): CatalogResult {
  const c = new Checker();
  if (!isObj(input)) return { ok: false, errors: ["catalog: must be a JSON object"] };
  c.known(input, "catalog", ["version", "updated_at", "models"]);
  if (input.version !== 1) c.fail("catalog.version", "must be 1");
  const models = input.models;
  if (!Array.isArray(models) || models.length === 0) {
    c.fail("catalog.models", "must be a non-empty array");
    return { ok: false, errors: c.errors };
  }
  models.forEach((m: unknown, i) => (isObj(m) ? checkModel(c, m, `models[${i}]`) : c.fail(`models[${i}]`, "must be an object")));
  checkLifecycles(c, models);
  return c.errors.length === 0 ? { ok: true, catalog: input as unknown as Catalog } : { ok: false, errors: c.errors };
}
