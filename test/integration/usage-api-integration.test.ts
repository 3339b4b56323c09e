import { beforeAll, describe, expect, it } from "vitest";
import { call, expectError, seedKey } from "./helpers.ts";
import { ledger, limiter, limitsCatalog } from "./limits-fixtures.ts";
import { chatBody } from "../support/chat-body.ts";

beforeAll(() => limitsCatalog());

const ADMIN = "test-admin-token-0123456789";
const DAY = 86_400;
const today = (): number => Math.floor(Date.now() / 1000 / DAY) * DAY;
const usage = (params: string, token: string) => call(`/v1/organization/usage/completions?${params}`, { headers: { authorization: `Bearer ${token}` } });

interface Page {
  object: string;
  data: Array<{ object: string; start_time: number; end_time: number; results: Array<Record<string, unknown>> }>;
  has_more: boolean;
  next_page: string | null;
}

/** A project with two keys that made three chat requests and one embedding request. */
async function project() {
  const a = await seedKey({ scopes: ["inference", "usage"] });
  const b = await seedKey({ project_id: a.record.project_id, key_id: "key_usage_b" });
  const chat = (key: string, max_tokens: number) =>
    call("/v1/chat/completions", { method: "POST", key, json: chatBody({ model: "meter-chat", content: "twelve chars", max_tokens }) });
  for (const [key, n] of [[a.key, 3], [a.key, 4], [b.key, 5]] as const) await (await chat(key, n)).text();
  await (await call("/v1/embeddings", { method: "POST", key: b.key, json: { model: "meter-embed", input: "sixteen chars.." } })).text();
  await ledger(a.record.project_id, "meter-chat", 3);
  await ledger(a.record.project_id, "meter-embed", 1);
  return { a, b, project: a.record.project_id };
}

describe("GET /v1/organization/usage/completions", () => {
  it("gives a key with the usage scope its own project's buckets, grouped by model and key, with cost", async () => {
    const { a, project: p } = await project();
    const res = await usage(`start_time=${today()}&group_by=model,api_key_id`, a.key);
    expect(res.status).toBe(200);
    const page = (await res.json()) as Page;
    expect(page).toMatchObject({ object: "page", has_more: false, next_page: null });
    expect(page.data).toHaveLength(1);
    const bucket = page.data[0]!;
    expect(bucket).toMatchObject({ object: "bucket", start_time: today(), end_time: today() + DAY });
    // "twelve chars" is 4 + 4 prompt tokens; the origin makes exactly max_tokens.
    expect(bucket.results).toEqual([
      expect.objectContaining({ object: "organization.usage.completions.result", model: "meter-chat", api_key_id: a.record.key_id, project_id: p, num_model_requests: 2, input_tokens: 16, output_tokens: 7, amount: { value: (16 + 7 * 3) / 1e6, currency: "EUR" } }),
      expect.objectContaining({ model: "meter-chat", api_key_id: "key_usage_b", num_model_requests: 1, input_tokens: 8, output_tokens: 5 }),
      expect.objectContaining({ model: "meter-embed", api_key_id: "key_usage_b", num_model_requests: 1, input_tokens: 4, output_tokens: 0 }),
    ]);
  });

  it("reads a model the catalog no longer lists when the query names it, once however often it is named", async () => {
    const { a, project: p } = await project();
    // Usage booked under a model that was then removed from the catalog.
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const removed = "removed-model";
    await limiter(p, removed).settleBatch({
      id: crypto.randomUUID(),
      limits: { rpm: 60, tpm: 6000 },
      net: { requests: 0, tokens: 0 },
      ledger: [{ hour, keyId: a.record.key_id, requests: 4, promptTokens: 40, completionTokens: 9 }],
    });
    const named = (await (await usage(`start_time=${today()}&group_by=model&models=${removed},meter-chat,meter-chat`, a.key)).json()) as Page;
    expect(named.data[0]!.results).toEqual([
      expect.objectContaining({ model: "meter-chat", num_model_requests: 3 }),
      expect.objectContaining({ model: removed, num_model_requests: 4, input_tokens: 40, output_tokens: 9 }),
    ]);
    // Unnamed, only the catalog's models are asked.
    const all = (await (await usage(`start_time=${today()}&group_by=model`, a.key)).json()) as Page;
    expect(all.data[0]!.results.map((r) => r.model)).toEqual(["meter-chat", "meter-embed"]);
    expect((await expectError(await usage(`start_time=${today()}&models=..%2Fx`, a.key), 400)).param).toBe("models");
    const many = Array.from({ length: 51 }, (_, i) => `m${i}`).join(",");
    expect((await expectError(await usage(`start_time=${today()}&models=${many}`, a.key), 400)).param).toBe("models");
  });

  it("exports CSV for billing", async () => {
    const { a, project: p } = await project();
    const res = await usage(`start_time=${today()}&format=csv`, a.key);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const lines = (await res.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe("start_time,end_time,project_id,api_key_id,model,num_model_requests,input_tokens,output_tokens,cost,currency");
    expect(lines.slice(1).map((l) => l.split(",").slice(2, 8).join(","))).toEqual([
      `${p},${a.record.key_id},meter-chat,2,16,7`,
      `${p},key_usage_b,meter-chat,1,8,5`,
      `${p},key_usage_b,meter-embed,1,4,0`,
    ]);
  });

  it("lets the admin read any project, naming it", async () => {
    const { project: p } = await project();
    const res = await usage(`start_time=${today()}&project_id=${p}`, ADMIN);
    const page = (await res.json()) as Page;
    expect(page.data[0]!.results).toEqual([expect.objectContaining({ project_id: p, num_model_requests: 4, input_tokens: 28, output_tokens: 12, model: null, api_key_id: null })]);
    await expectError(await usage(`start_time=${today()}`, ADMIN), 400, "missing_required_parameter");
  });

  it("refuses keys without the usage scope, and other projects", async () => {
    const { a } = await project();
    const plain = await seedKey();
    await expectError(await usage(`start_time=${today()}`, plain.key), 403, "insufficient_scope");
    // Another project answers as keys and the audit log do: as if it did not exist.
    const other = await seedKey({ scopes: ["usage"] });
    const err = await expectError(await usage(`start_time=${today()}&project_id=${other.record.project_id}`, a.key), 404, "project_not_found");
    expect(err.param).toBe("project_id");
    await expectError(await usage(`start_time=${today()}&project_id=proj_someone_else`, a.key), 404, "project_not_found");
    await expectError(await usage(`start_time=${today()}`, "sk-eir-notarealkeynotarealkey00"), 401);
    const bad = await expectError(await usage(`bucket_width=1h`, a.key), 400);
    expect(bad.param).toBe("start_time");
  });

  it("answers 404 for the admin naming a project that does not exist, 400 for a malformed id", async () => {
    const missing = await expectError(await usage(`start_time=${today()}&project_id=proj_no_such_project_${Date.now()}`, ADMIN), 404, "project_not_found");
    expect(missing.param).toBe("project_id");
    const malformed = await expectError(await usage(`start_time=${today()}&project_id=acme`, ADMIN), 400);
    expect(malformed.param).toBe("project_id");
  });

  it("refuses a range whose end comes before its start, even inside one day", async () => {
    const { a } = await project();
    const t = today();
    const err = await expectError(await usage(`start_time=${t + 7200}&end_time=${t + 3600}`, a.key), 400);
    expect(err.param).toBe("end_time");
    await expectError(await usage(`start_time=${t + 3600}&end_time=${t + 3600}`, a.key), 400);
    // A range inside one day, the right way round, is one daily bucket.
    expect(((await (await usage(`start_time=${t + 3600}&end_time=${t + 7200}`, a.key)).json()) as Page).data).toHaveLength(1);
  });
});
