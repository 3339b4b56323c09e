// Shared fixtures for the workerd tests: a catalog pointing at the simulated origin,
// keys written the way the edge reads them, and request helpers.

import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import worker from "../../src/index.ts";
import { hashKey } from "../../src/auth/api-key.ts";
import type { KeyRecord } from "../../src/auth/key-record.ts";
import { resetKeyCache } from "../../src/auth/authenticate.ts";
import { resetCatalogCache } from "../../src/catalog/store.ts";
import { CATALOG_KEY } from "../../src/storage/kv-keys.ts";
import { redact } from "../../src/projects/changes.ts";
import type { Catalog, ModelEntry } from "../../src/catalog/types.ts";

/** The integration bindings, typed in test/env.d.ts. */
export const testEnv = env;
export const SIM = (): string => testEnv.SIM_ORIGIN_URL;

const DAY = 86_400_000;
const iso = (offsetDays: number): string => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);

export function model(id: string, over: Partial<ModelEntry> = {}): ModelEntry {
  return {
    id,
    type: "chat",
    plan: "Base",
    owned_by: "test",
    context_length: 8192,
    license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
    source_url: `https://huggingface.co/test/${id}`,
    pricing: { input_per_million: 1, output_per_million: 2, currency: "EUR" },
    limits: { rpm: 1000, tpm: 1_000_000 },
    origins: [{ id: "sim", url: `${SIM()}/v1`, region: "eu-central", model: `org/${id}`, credential: "SIM_ORIGIN_TOKEN" }],
    ...over,
  };
}

export function testCatalog(): Catalog {
  return {
    version: 1,
    models: [
      model("test-chat", { plan: "Plus" }),
      model("test-embed", { type: "embedding" }),
      model("test-deprecated", { lifecycle: { deprecated: iso(-10), sunset: iso(100), successor: "test-chat" } }),
      model("test-retired-successor", { lifecycle: { deprecated: iso(-200), sunset: iso(-5), successor: "test-chat" } }),
      model("test-retired", { lifecycle: { deprecated: iso(-400), sunset: iso(-10) } }),
      model("test-dead-origin", { origins: [{ id: "dead", url: "http://127.0.0.1:1/v1", region: "eu-central" }] }),
      model("test-timeouts", { timeouts: { first_byte_ms: 300, idle_ms: 300 } }),
    ],
  };
}

export async function seedCatalog(catalog: Catalog = testCatalog()): Promise<void> {
  await testEnv.KV.put(CATALOG_KEY, JSON.stringify(catalog));
  resetCatalogCache();
}

let keyCounter = 0;
/**
 * A fresh key for its own project (or the one named in `over`), created in the project's
 * Durable Object, which writes the KV index the edge reads: the same path as the API.
 * `over.limits` sets the project's overrides when this call creates the project.
 */
export async function seedKey(over: Partial<KeyRecord> = {}): Promise<{ key: string; record: KeyRecord }> {
  keyCounter++;
  const key = `sk-eir-test${crypto.randomUUID().replaceAll("-", "")}`;
  const record: KeyRecord = {
    project_id: `proj_test_${keyCounter}_${Date.now()}`,
    key_id: `key_test_${keyCounter}_${Date.now()}`,
    scopes: ["inference"],
    models: null,
    expires_at: null,
    project_status: "active",
    limits: {},
    ...over,
  };
  const stub = testEnv.PROJECTS.get(testEnv.PROJECTS.idFromName(record.project_id));
  const admin = { type: "admin" } as const;
  // Several keys may share a project: an existing one is fine.
  await stub.createProject({ id: record.project_id, name: "test project", limits: record.limits ?? {}, actor: admin });
  const created = await stub.createKey({
    id: record.key_id,
    hash: await hashKey(key),
    redacted_value: redact(key),
    name: "test key",
    scopes: record.scopes,
    models: record.models,
    expires_at: record.expires_at,
    actor: admin,
  });
  if (!created.ok) throw new Error(`seedKey: ${created.reason}`);
  if (record.project_status === "suspended") await stub.updateProject({ patch: { status: "suspended" }, actor: admin });
  resetKeyCache();
  return { key, record };
}

/** The admin credential of the integration bindings (vitest.config.ts). */
export const ADMIN_TOKEN = "test-admin-token-0123456789";

export function call(path: string, init: RequestInit & { key?: string; json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key !== undefined) headers.set("authorization", `Bearer ${init.key}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return exports.default.fetch(new Request(`https://router.test${path}`, { ...init, headers, body }));
}

export async function simStats(): Promise<{ requests: number; cancelled: number; completed: number; completionTokens: number; promptTokens: number; inFlight: number }> {
  const res = await fetch(`${SIM()}/_sim/stats`);
  return res.json();
}

export async function expectError(res: Response, status: number, code?: string | null): Promise<{ message: string; type: string; param: string | null; code: string | null }> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  const body = JSON.parse(text) as { error: { message: string; type: string; param: string | null; code: string | null } };
  if (typeof body.error?.message !== "string" || typeof body.error.type !== "string") throw new Error(`not an OpenAI error: ${text}`);
  if (!("param" in body.error) || !("code" in body.error)) throw new Error(`error lacks param/code: ${text}`);
  if (code !== undefined && body.error.code !== code) throw new Error(`expected code ${code}, got ${body.error.code}`);
  return body.error;
}

let projectCounter = 0;
/** A fresh project created through the management API as the operator. */
export async function createProject(body: Record<string, unknown> = {}): Promise<{ id: string; name: string; status: string }> {
  projectCounter++;
  const res = await call("/v1/organization/projects", { method: "POST", key: ADMIN_TOKEN, json: { name: `project ${projectCounter}`, ...body } });
  if (res.status !== 200) throw new Error(`createProject: ${res.status} ${await res.text()}`);
  return res.json();
}

export interface ApiKeyCreated {
  id: string;
  value: string;
  name: string;
  redacted_value: string;
  scopes: string[];
  models: string[] | null;
  expires_at: number | null;
  created_at: number;
}

/** A key created through the management API, by the admin unless `auth` is given. */
export async function createApiKey(projectId: string, body: Record<string, unknown> = {}, auth = ADMIN_TOKEN): Promise<ApiKeyCreated> {
  const res = await call(`/v1/organization/projects/${projectId}/api_keys`, { method: "POST", key: auth, json: { name: "k", ...body } });
  if (res.status !== 200) throw new Error(`createApiKey: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * A copy of a test model with origin ids of its own, added to the catalog: faults count
 * against an origin's breaker, and one test's faults must not open another test's.
 */
export async function isolatedModel(name: string): Promise<string> {
  const catalog = testCatalog();
  const entry = catalog.models.find((m) => m.id === name);
  if (!entry) throw new Error(`no model ${name}`);
  const id = `${name}-${crypto.randomUUID().slice(0, 8)}`;
  catalog.models.push({ ...entry, id, origins: entry.origins.map((o) => ({ ...o, id: `${o.id}-${id}` })) });
  await seedCatalog(catalog);
  return id;
}

/** One run of the Worker's cron (origin probes, parked settle batches), waited out. */
export async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }), env, ctx);
  await waitOnExecutionContext(ctx);
}
