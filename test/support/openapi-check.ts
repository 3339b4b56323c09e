// Checks real responses against the OpenAPI document the router serves: the operation for
// the method and path must exist, document the status, and its headers and body (JSON, or
// each event of a stream) must match their schemas. Records which statuses of which
// operations were seen, so a suite can require that each operation was exercised.
// Runs in workerd: @cfworker/json-schema validates without generating code.

import { Validator, type Schema as JsonSchema } from "@cfworker/json-schema";
import type { Document, Header, MediaType, Operation, Response as ResponseSpec, Schema } from "../../src/openapi/types.ts";

const BASE = "https://router.test/openapi.json";
type Ref = { $ref: string };
const isRef = (v: unknown): v is Ref => typeof v === "object" && v !== null && typeof (v as Ref).$ref === "string";

/** The document's "#/..." references made absolute, so a schema taken out of it still resolves. */
function absolute<T>(v: T): T {
  if (Array.isArray(v)) return v.map(absolute) as T;
  if (typeof v !== "object" || v === null) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === "$ref" && typeof x === "string" && x.startsWith("#/") ? BASE + x : absolute(x)])) as T;
}

/** One `data:` JSON per event of an event stream; `[DONE]` and comments are left out. */
export function streamEvents(text: string): unknown[] {
  return text
    .split(/\r?\n\r?\n/)
    .map((block) => block.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n"))
    .filter((data) => data !== "" && data !== "[DONE]")
    .map((data) => JSON.parse(data) as unknown);
}

export interface Seen {
  operationId: string;
  status: string;
}

export class OpenApiChecker {
  readonly #doc: Document;
  readonly #validators = new Map<string, Validator>();
  readonly #seen = new Map<string, Set<string>>();
  readonly #paths: Array<{ template: string; re: RegExp }>;

  constructor(doc: Document) {
    // A copy: the validator annotates the schemas it is given.
    this.#doc = JSON.parse(JSON.stringify(doc)) as Document;
    // {model} may hold '/', like the model ids; other parameters are one segment.
    this.#paths = Object.keys(this.#doc.paths).map((template) => ({
      template,
      re: new RegExp(`^${template.replace(/[.]/g, "\\.").replace(/\{model\}/g, ".+").replace(/\{[^}]+\}/g, "[^/]+")}$`),
    }));
  }

  /** Fetches the served document and builds a checker of it. */
  static async fromServed(fetchDoc: () => Promise<Response>): Promise<OpenApiChecker> {
    const res = await fetchDoc();
    if (res.status !== 200) throw new Error(`GET /v1/openapi.json: ${res.status} ${await res.text()}`);
    return new OpenApiChecker((await res.json()) as Document);
  }

  #resolve<T>(v: T | Ref): T {
    let at: unknown = v;
    for (let i = 0; isRef(at) && i < 10; i++) {
      at = at.$ref.replace(/^#\//, "").split("/").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], this.#doc);
      if (at === undefined) throw new Error(`dangling $ref ${(v as Ref).$ref}`);
    }
    return at as T;
  }

  #validate(schema: Schema, value: unknown, where: string): string[] {
    const key = JSON.stringify(schema);
    let v = this.#validators.get(key);
    if (v === undefined) {
      v = new Validator(absolute(schema) as JsonSchema, "2020-12", false);
      v.addSchema({ $id: BASE, components: this.#doc.components } as unknown as JsonSchema, BASE);
      this.#validators.set(key, v);
    }
    const res = v.validate(value);
    return res.valid ? [] : res.errors.slice(-6).map((e) => `${where}${e.instanceLocation}: ${e.error}`);
  }

  /** The documented operation of a request, or why there is none. */
  operation(method: string, url: string): { template: string; op: Operation } {
    const path = new URL(url, "https://router.test").pathname;
    const found = this.#paths.filter((p) => p.re.test(path));
    // The most literal template wins ("/api_keys/{key_id}/rotate" over a wider match).
    found.sort((a, b) => b.template.replace(/\{[^}]+\}/g, "").length - a.template.replace(/\{[^}]+\}/g, "").length);
    const template = found[0]?.template;
    if (template === undefined) throw new Error(`undocumented path: ${method} ${path}`);
    const op = this.#doc.paths[template]?.[method.toLowerCase() as "get"];
    if (op === undefined) throw new Error(`undocumented operation: ${method} ${template}`);
    return { template, op };
  }

  /**
   * Checks one response (reading a clone of its body) and records it; throws with every
   * mismatch found. Returns the operation and documented status it matched.
   */
  async check(method: string, url: string, res: Response): Promise<Seen> {
    const { template, op } = this.operation(method, url);
    const status = String(res.status);
    const where = `${method} ${template} -> ${status}`;
    const specRef = op.responses[status];
    if (specRef === undefined) throw new Error(`${where}: status not documented (documented: ${Object.keys(op.responses).join(", ")}): ${await res.clone().text()}`);
    const spec = this.#resolve<ResponseSpec>(specRef);
    const problems = [...this.#checkHeaders(spec, res, where), ...(await this.#checkBody(spec, res, where))];
    if (problems.length > 0) throw new Error(`response does not match the OpenAPI document:\n${problems.join("\n")}`);
    const seen = this.#seen.get(op.operationId) ?? new Set<string>();
    seen.add(status);
    this.#seen.set(op.operationId, seen);
    return { operationId: op.operationId, status };
  }

  #checkHeaders(spec: ResponseSpec, res: Response, where: string): string[] {
    const problems: string[] = [];
    for (const [name, h] of Object.entries(spec.headers ?? {})) {
      const header = this.#resolve<Header>(h);
      const value = res.headers.get(name);
      if (value === null) {
        if (header.required === true) problems.push(`${where}: header ${name} is missing`);
        continue;
      }
      problems.push(...this.#validate(header.schema, value, `${where} header ${name}`));
    }
    return problems;
  }

  async #checkBody(spec: ResponseSpec, res: Response, where: string): Promise<string[]> {
    const text = await res.clone().text();
    if (spec.content === undefined) return text === "" ? [] : [`${where}: a body where none is documented`];
    const type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
    const media: MediaType | undefined = spec.content[type];
    if (media === undefined) return [`${where}: content-type '${type}' not documented (documented: ${Object.keys(spec.content).join(", ")})`];
    if (type === "application/json") {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return [`${where}: not JSON: ${text.slice(0, 200)}`];
      }
      return this.#validate(media.schema, body, `${where} body`);
    }
    const problems = this.#validate(media.schema, text, `${where} body`);
    if (media["x-event-schema"] !== undefined) {
      const events = streamEvents(text);
      if (events.length === 0) problems.push(`${where}: an event stream without events`);
      events.forEach((e, i) => problems.push(...this.#validate(media["x-event-schema"]!, e, `${where} event ${i}`)));
    }
    return problems;
  }

  /** Operations of the document with no success or no error seen, for a suite to require none. */
  uncovered(): string[] {
    const missing: string[] = [];
    for (const item of Object.values(this.#doc.paths)) {
      for (const op of [item.get, item.post, item.put, item.patch, item.delete]) {
        if (op === undefined) continue;
        const seen = [...(this.#seen.get(op.operationId) ?? [])];
        const errorsDocumented = Object.keys(op.responses).some((s) => s >= "400");
        if (!seen.some((s) => s < "400")) missing.push(`${op.operationId}: no success`);
        if (errorsDocumented && !seen.some((s) => s >= "400")) missing.push(`${op.operationId}: no error`);
      }
    }
    return missing;
  }
}
