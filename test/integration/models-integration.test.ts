import { beforeAll, describe, expect, it } from "vitest";
import { call, expectError, seedCatalog, seedKey } from "./helpers.ts";

beforeAll(() => seedCatalog());

describe("GET /v1/models", () => {
  it("lists live models with their model cards, not retired ones", async () => {
    const { key } = await seedKey();
    const res = await call("/v1/models", { key });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    const body = (await res.json()) as { object: string; data: Array<Record<string, unknown>> };
    expect(body.object).toBe("list");
    const ids = body.data.map((m) => m.id);
    expect(ids).toContain("test-chat");
    expect(ids).toContain("test-deprecated");
    expect(ids).not.toContain("test-retired");
    const chat = body.data.find((m) => m.id === "test-chat")!;
    expect(chat).toMatchObject({
      object: "model",
      owned_by: "test",
      type: "chat",
      plan: "Plus",
      context_length: 8192,
      source_url: "https://huggingface.co/test/test-chat",
      license: { name: "Apache-2.0" },
      pricing: { input_per_million: 1, output_per_million: 2 },
      limits: { rpm: 1000, tpm: 1_000_000 },
      lifecycle: { status: "active" },
    });
    expect(JSON.stringify(body)).not.toContain("127.0.0.1");
  });

  it("shows only the models a restricted key may use", async () => {
    const { key } = await seedKey({ models: ["test-embed"] });
    const body = (await (await call("/v1/models", { key })).json()) as { data: Array<{ id: string }> };
    expect(body.data.map((m) => m.id)).toEqual(["test-embed"]);
  });

  it("returns one model card, retired ones included, and 404 for unknown ids", async () => {
    const { key } = await seedKey();
    const res = await call("/v1/models/test-retired-successor", { key });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: "test-retired-successor", lifecycle: { status: "retired", successor: "test-chat" } });
    await expectError(await call("/v1/models/nope", { key }), 404, "model_not_found");
  });

  it("answers any valid key whatever its scopes, each seeing only its own models", async () => {
    for (const scopes of [["keys"], ["usage"], ["inference"]] as const) {
      const { key } = await seedKey({ scopes: [...scopes], models: ["test-chat"] });
      const list = (await (await call("/v1/models", { key })).json()) as { data: Array<{ id: string }> };
      expect(list.data.map((m) => m.id)).toEqual(["test-chat"]);
      expect((await call("/v1/models/test-chat", { key })).status).toBe(200);
      await expectError(await call("/v1/models/test-embed", { key }), 404, "model_not_found");
    }
  });

  it("requires a key", async () => {
    await expectError(await call("/v1/models"), 401, "missing_api_key");
  });
});
