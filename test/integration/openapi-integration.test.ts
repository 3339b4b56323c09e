// GET /v1/openapi.json is served without a key, and every endpoint's real answers, success
// and error, match it: the document cannot drift from the code. To cover a new endpoint,
// add its cases here (or check responses with an OpenApiChecker in its own file).

import { beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/openapi/document.ts";
import { OpenApiChecker } from "../support/openapi-check.ts";
import { chatBody } from "../support/chat-body.ts";
import { eventually } from "../support/eventually.ts";
import { ADMIN_TOKEN, call, createApiKey, createProject, model, seedCatalog, seedKey, testCatalog } from "./helpers.ts";

let checker: OpenApiChecker;
let key: string;

beforeAll(async () => {
  const catalog = testCatalog();
  // One request a minute: the second is a 429.
  catalog.models.push(model("oa-tight", { limits: { rpm: 1, tpm: 1_000_000 } }));
  await seedCatalog(catalog);
  checker = await OpenApiChecker.fromServed(() => call("/v1/openapi.json"));
  key = (await seedKey()).key;
});

type Init = RequestInit & { key?: string; json?: unknown };
/** Sends a request and checks its answer against the document; returns the answer. */
async function send(method: string, path: string, init: Init = {}): Promise<Response> {
  const res = await call(path, { method, ...init });
  await checker.check(method, path, res);
  return res;
}
const post = (path: string, json: unknown, k: string = key): Promise<Response> => send("POST", path, { key: k, json });

describe("the document", () => {
  it("is served without a key, as JSON, and names OpenAPI 3.1", async () => {
    const res = await send("GET", "/v1/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(((await res.json()) as { openapi: string }).openapi).toBe("3.1.0");
  });

  it("is the document the code defines, as the build wrote it into the static assets", async () => {
    const res = await call("/v1/openapi.json");
    expect(await res.json()).toEqual(openApiDocument);
  });
});

describe("models", () => {
  it("lists and reads model cards, lifecycle included, and refuses a missing key or model", async () => {
    expect((await send("GET", "/v1/models", { key })).status).toBe(200);
    expect((await send("GET", "/v1/models/test-deprecated", { key })).status).toBe(200);
    expect((await send("GET", "/v1/models")).status).toBe(401);
    expect((await send("GET", "/v1/models/no-such-model", { key })).status).toBe(404);
  });
});

describe("chat completions", () => {
  it("answers JSON and streams, with the rate-limit and lifecycle headers", async () => {
    expect((await post("/v1/chat/completions", chatBody({ max_tokens: 3 }))).status).toBe(200);
    const stream = await post("/v1/chat/completions", chatBody({ max_tokens: 3, stream: true, stream_options: { include_usage: true } }));
    expect(stream.status).toBe(200);
    const deprecated = await post("/v1/chat/completions", chatBody({ model: "test-deprecated", max_tokens: 2 }));
    expect(deprecated.headers.get("deprecation")).toMatch(/^@\d+$/);
  });

  it("documents every way it refuses", async () => {
    expect((await post("/v1/chat/completions", chatBody(), "sk-eir-nonsense")).status).toBe(401);
    expect((await send("POST", "/v1/chat/completions", { key, body: "{not json", headers: { "content-type": "application/json" } })).status).toBe(400);
    expect((await post("/v1/chat/completions", chatBody({ model: "no-such-model" }))).status).toBe(404);
    expect((await post("/v1/chat/completions", chatBody({ model: "test-retired" }))).status).toBe(410);
    const embedOnly = (await seedKey({ models: ["test-embed"] })).key;
    expect((await post("/v1/chat/completions", chatBody(), embedOnly)).status).toBe(403);
    expect((await post("/v1/chat/completions", chatBody({ content: "x".repeat(4 * 1024 * 1024 + 1) }))).status).toBe(413);
    const tight = (await seedKey()).key;
    expect((await post("/v1/chat/completions", chatBody({ model: "oa-tight", max_tokens: 1 }), tight)).status).toBe(200);
    expect((await post("/v1/chat/completions", chatBody({ model: "oa-tight", max_tokens: 1 }), tight)).status).toBe(429);
  });

  it("documents the origin's failures", async () => {
    expect((await post("/v1/chat/completions", chatBody({ max_tokens: 2, sim: { fail: "status", status: 500 } }))).status).toBe(502);
    expect((await post("/v1/chat/completions", chatBody({ model: "test-dead-origin" }))).status).toBe(503);
    expect((await post("/v1/chat/completions", chatBody({ model: "test-timeouts", sim: { ttftMs: 1500 } }))).status).toBe(504);
  });
});

describe("completions and embeddings", () => {
  it("answer JSON (and completions a stream), and refuse bad bodies", async () => {
    expect((await post("/v1/completions", { model: "test-chat", prompt: "hi", max_tokens: 2 })).status).toBe(200);
    expect((await post("/v1/completions", { model: "test-chat", prompt: "hi", max_tokens: 2, stream: true })).status).toBe(200);
    expect((await post("/v1/completions", { model: "test-chat" })).status).toBe(400);
    expect((await post("/v1/embeddings", { model: "test-embed", input: ["a", "b"] })).status).toBe(200);
    expect((await post("/v1/embeddings", { model: "test-chat", input: "a" })).status).toBe(400);
  });
});

const admin = { key: ADMIN_TOKEN };
const asAdmin = (method: string, path: string, json?: unknown): Promise<Response> => send(method, path, { ...admin, ...(json === undefined ? {} : { json }) });

describe("projects", () => {
  it("are created, listed, read and updated by the admin, with every refusal documented", async () => {
    const id = `proj_oa_${crypto.randomUUID().slice(0, 8)}`;
    expect((await asAdmin("POST", "/v1/organization/projects", { id, name: "openapi" })).status).toBe(200);
    expect((await asAdmin("POST", "/v1/organization/projects", { id, name: "again" })).status).toBe(409);
    expect((await asAdmin("POST", "/v1/organization/projects", { name: 5 })).status).toBe(400);
    expect((await asAdmin("GET", "/v1/organization/projects?limit=2")).status).toBe(200);
    expect((await send("GET", "/v1/organization/projects", { key: "not-the-token" })).status).toBe(401);
    expect((await send("GET", "/v1/organization/projects", { key })).status).toBe(403);
    expect((await asAdmin("GET", `/v1/organization/projects/${id}`)).status).toBe(200);
    expect((await asAdmin("GET", "/v1/organization/projects/proj_oa_missing")).status).toBe(404);
    expect((await asAdmin("POST", `/v1/organization/projects/${id}`, { name: "renamed" })).status).toBe(200);
    expect((await asAdmin("PATCH", `/v1/organization/projects/${id}`, { limits: { "test-chat": { rpm: 5, tpm: 500 } } })).status).toBe(200);
    expect((await asAdmin("PATCH", `/v1/organization/projects/${id}`, {})).status).toBe(400);
    expect((await asAdmin("POST", `/v1/organization/projects/${id}`, { status: "paused" })).status).toBe(400);
  });
});

describe("API keys", () => {
  it("are created, listed, read, updated, rotated and deleted, with every refusal documented", async () => {
    const project = await createProject();
    const base = `/v1/organization/projects/${project.id}/api_keys`;
    const created = await asAdmin("POST", base, { name: "k", scopes: ["inference", "keys"] });
    expect(created.status).toBe(200);
    const id = ((await created.json()) as { id: string }).id;
    expect((await asAdmin("POST", base, { scopes: ["inference"] })).status).toBe(400);
    expect((await asAdmin("GET", `${base}?limit=1`)).status).toBe(200);
    expect((await asAdmin("GET", "/v1/organization/projects/proj_oa_nothing/api_keys")).status).toBe(404);
    expect((await asAdmin("GET", `${base}/${id}`)).status).toBe(200);
    expect((await asAdmin("GET", `${base}/key_missing`)).status).toBe(404);
    expect((await asAdmin("POST", `${base}/${id}`, { name: "renamed" })).status).toBe(200);
    expect((await asAdmin("PATCH", `${base}/${id}`, { scopes: ["inference", "keys", "usage"] })).status).toBe(200);
    expect((await asAdmin("PATCH", `${base}/${id}`, { scopes: ["root"] })).status).toBe(400);
    expect((await asAdmin("POST", `${base}/${id}`, {})).status).toBe(400);
    expect((await asAdmin("POST", `${base}/${id}/rotate`)).status).toBe(200);
    expect((await asAdmin("POST", `${base}/key_missing/rotate`)).status).toBe(404);
    expect((await asAdmin("DELETE", `${base}/${id}`)).status).toBe(200);
    expect((await asAdmin("DELETE", `${base}/${id}`)).status).toBe(404);
    const inferenceOnly = await createApiKey(project.id, { scopes: ["inference"] });
    expect((await send("GET", base, { key: inferenceOnly.value })).status).toBe(403);
    expect((await asAdmin("POST", base, { name: "dup", value: inferenceOnly.value })).status).toBe(409);
  });
});

describe("audit logs and usage", () => {
  it("list a project's events and read its usage, JSON and CSV, with the refusals documented", async () => {
    const project = await createProject();
    const own = await createApiKey(project.id, { scopes: ["inference", "keys", "usage"] });
    expect((await asAdmin("GET", `/v1/organization/projects/${project.id}/audit_logs?limit=5`)).status).toBe(200);
    expect((await asAdmin("GET", `/v1/organization/projects/${project.id}/audit_logs?limit=0`)).status).toBe(400);
    expect((await asAdmin("GET", `/v1/organization/audit_logs?project_ids[]=${project.id}`)).status).toBe(200);
    expect((await send("GET", "/v1/organization/audit_logs", { key: own.value })).status).toBe(200);
    expect((await asAdmin("GET", "/v1/organization/audit_logs")).status).toBe(200);
    expect((await asAdmin("GET", "/v1/organization/audit_logs?limit=0")).status).toBe(400);
    await (await post("/v1/chat/completions", chatBody({ max_tokens: 2 }), own.value)).text();
    const start = Math.floor(Date.now() / 1000) - 3600;
    const usage = `/v1/organization/usage/completions?start_time=${start}&bucket_width=1h&group_by=model,api_key_id`;
    // Settling runs after the answer: wait until the bucket holds the request, then check it.
    const booked = async () => ((await (await call(usage, { key: own.value })).json()) as { data: Array<{ results: unknown[] }> }).data.some((b) => b.results.length > 0);
    expect(await eventually(booked, (b) => b)).toBe(true);
    expect((await send("GET", usage, { key: own.value })).status).toBe(200);
    expect((await asAdmin("GET", `${usage}&project_id=${project.id}&format=csv`)).status).toBe(200);
    expect((await asAdmin("GET", "/v1/organization/usage/completions")).status).toBe(400);
    expect((await send("GET", usage, { key: "sk-eir-nonsense" })).status).toBe(401);
    expect((await send("GET", `${usage}&project_id=proj_someone_else`, { key: own.value })).status).toBe(404);
  });
});

describe("budgets", () => {
  it("are read, set and deleted for a project and its keys, with every refusal documented", async () => {
    const project = await createProject();
    const base = `/v1/organization/projects/${project.id}`;
    const manager = await createApiKey(project.id, { scopes: ["inference", "keys"] });
    const worker = await createApiKey(project.id, { scopes: ["inference"] });
    expect((await send("GET", `${base}/budget`, { key: manager.value })).status).toBe(200);
    expect((await asAdmin("PUT", `${base}/budget`, { amount: 10, thresholds: [50, 100] })).status).toBe(200);
    expect((await send("PUT", `${base}/budget`, { key: manager.value, json: { amount: 5 } })).status).toBe(403);
    expect((await asAdmin("PUT", `${base}/budget`, { amount: -1 })).status).toBe(400);
    expect((await asAdmin("GET", "/v1/organization/projects/proj_oa_nobudget/budget")).status).toBe(404);
    const keyBudget = `${base}/api_keys/${worker.id}/budget`;
    expect((await send("PUT", keyBudget, { key: manager.value, json: { amount: 2 } })).status).toBe(200);
    expect((await asAdmin("PUT", keyBudget, { amount: 11 })).status).toBe(400);
    expect((await send("GET", keyBudget, { key: manager.value })).status).toBe(200);
    expect((await send("GET", keyBudget, { key: worker.value })).status).toBe(403);
    expect((await asAdmin("DELETE", `${base}/api_keys/key_missing/budget`)).status).toBe(404);
    expect((await asAdmin("DELETE", keyBudget)).status).toBe(200);
    expect((await send("DELETE", `${base}/budget`, { key: manager.value })).status).toBe(403);
    expect((await asAdmin("DELETE", `${base}/budget`)).status).toBe(200);
  });

  it("put x-budget-* on inferences and refuse a spent budget with insufficient_quota", async () => {
    const project = await createProject();
    const base = `/v1/organization/projects/${project.id}`;
    const own = await createApiKey(project.id, { scopes: ["inference"] });
    expect((await asAdmin("PUT", `${base}/budget`, { amount: 100 })).status).toBe(200);
    const served = await post("/v1/chat/completions", chatBody({ max_tokens: 2 }), own.value);
    expect(served.status).toBe(200);
    expect(served.headers.get("x-budget-scope")).toBe("project");
    await served.text();
    expect((await asAdmin("PUT", `${base}/api_keys/${own.id}/budget`, { amount: 0.000001 })).status).toBe(200);
    const refused = await post("/v1/chat/completions", chatBody({ max_tokens: 2 }), own.value);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("insufficient_quota");
    expect(refused.headers.get("x-should-retry")).toBe("false");
  });

  it("send alerts to a webhook whose secret is shown once", async () => {
    const project = await createProject();
    const hook = `/v1/organization/projects/${project.id}/budget/webhook`;
    expect((await asAdmin("GET", hook)).status).toBe(404);
    expect((await asAdmin("POST", hook, { url: "ftp://example.com/x" })).status).toBe(400);
    const set = await asAdmin("POST", hook, { url: "https://example.com/alerts" });
    expect(set.status).toBe(200);
    expect(((await set.json()) as { secret: string }).secret).toMatch(/^whsec_/);
    expect((await asAdmin("GET", hook)).status).toBe(200);
    expect((await asAdmin("DELETE", hook)).status).toBe(200);
    expect((await asAdmin("DELETE", hook)).status).toBe(404);
  });
});

describe("tracing", () => {
  it("sets, reads and removes a project's MLflow destination, with the refusals documented", async () => {
    const project = await createProject();
    const path = `/v1/organization/projects/${project.id}/tracing`;
    expect((await asAdmin("GET", path)).status).toBe(404);
    const set = { tracking_uri: "https://mlflow.example.com", experiment_id: "7", credential: { type: "bearer", token: "t0ken" } };
    expect((await send("PUT", path, { key: ADMIN_TOKEN, json: set })).status).toBe(200);
    expect((await send("PUT", path, { key: ADMIN_TOKEN, json: { ...set, tracking_uri: "http://mlflow.example.com" } })).status).toBe(400);
    expect((await asAdmin("GET", path)).status).toBe(200);
    // A keys key of the project may do the same; an inference-only key may not, and a
    // credential is never in an answer.
    const manager = await createApiKey(project.id, { scopes: ["inference", "keys"] });
    const worker = await createApiKey(project.id, { scopes: ["inference"] });
    const byKey = await send("PUT", path, { key: manager.value, json: { ...set, capture: "full" } });
    expect(byKey.status).toBe(200);
    expect(await byKey.text()).not.toContain("t0ken");
    expect((await send("PUT", path, { key: manager.value, json: { ...set, capture: "everything" } })).status).toBe(400);
    expect((await send("GET", path, { key: worker.value })).status).toBe(403);
    expect((await asAdmin("DELETE", path)).status).toBe(200);
    expect((await asAdmin("DELETE", path)).status).toBe(404);
  });
});

describe("coverage", () => {
  // Runs last (tests in a file run in order): every operation answered once with success
  // and once with an error, so a new endpoint without cases here fails.
  it("saw a success and an error of every documented operation", () => {
    expect(checker.uncovered()).toEqual([]);
  });
});
