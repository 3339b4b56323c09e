import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lifecycleHeaders, lifecycleStatus, resolveModel } from "../../src/catalog/lifecycle.ts";
import { modelCard } from "../../src/catalog/model-card.ts";
import type { Catalog, ModelEntry } from "../../src/catalog/types.ts";
import { validateCatalog } from "../../src/catalog/validate.ts";
import { DEFAULT_BEHAVIOUR } from "../../sim/protocol.ts";
import { modelEntry } from "../support/model-entry.ts";

const devCatalog = (): Catalog => JSON.parse(readFileSync(new URL("../../catalog/dev-catalog.json", import.meta.url).pathname, "utf8")) as Catalog;

const catalogOf = (...models: ModelEntry[]): unknown => ({ version: 1, models });
const errorsOf = (input: unknown): string[] => {
  const r = validateCatalog(input);
  return r.ok ? [] : r.errors;
};

describe("validateCatalog", () => {
  it("accepts the dev catalog, which has every plan, an embedding model and each lifecycle stage", () => {
    const cat = devCatalog();
    expect(validateCatalog(cat).ok).toBe(true);
    const now = Date.parse("2026-11-22T00:00:00Z");
    const chat = cat.models.filter((m) => m.type === "chat" && lifecycleStatus(m, now) === "active");
    expect(new Set(chat.map((m) => m.plan))).toEqual(new Set(["Base", "Plus", "Premium"]));
    expect(cat.models.some((m) => m.type === "embedding")).toBe(true);
    expect(cat.models.some((m) => lifecycleStatus(m, now) === "deprecated" && m.lifecycle?.successor)).toBe(true);
    expect(cat.models.some((m) => lifecycleStatus(m, now) === "retired")).toBe(true);
  });

  const cases: Array<[string, unknown, string]> = [
    ["not an object", [], "catalog: must be a JSON object"],
    ["wrong version", { version: 2, models: [modelEntry()] }, "catalog.version: must be 1"],
    ["no models", { version: 1, models: [] }, "catalog.models: must be a non-empty array"],
    ["unknown top-level field", { version: 1, models: [modelEntry()], extra: 1 }, "catalog.extra: is not a known field"],
    ["bad type", catalogOf(modelEntry({ type: "image" as "chat" })), "models[0].type: must be one of chat, embedding"],
    ["bad plan", catalogOf(modelEntry({ plan: "Gold" as "Base" })), "models[0].plan: must be one of Base, Plus, Premium"],
    ["bad context length", catalogOf(modelEntry({ context_length: 0 })), "models[0].context_length: must be an integer >= 1"],
    ["bad source url", catalogOf(modelEntry({ source_url: "ftp://x" })), "models[0].source_url: must be an http(s) URL"],
    ["negative price", catalogOf(modelEntry({ pricing: { input_per_million: -1, output_per_million: 0, currency: "EUR" } })), "models[0].pricing.input_per_million: must be a number >= 0"],
    ["bad currency", catalogOf(modelEntry({ pricing: { input_per_million: 1, output_per_million: 0, currency: "euro" } })), "models[0].pricing.currency: has an invalid format"],
    ["fractional rpm", catalogOf(modelEntry({ limits: { rpm: 1.5, tpm: 10 } })), "models[0].limits.rpm: must be an integer >= 1"],
    ["no origins", catalogOf(modelEntry({ origins: [] })), "models[0].origins: must be a non-empty array"],
    ["bad origin url", catalogOf(modelEntry({ origins: [{ id: "a", url: "not a url", region: "eu" }] })), "models[0].origins[0].url: must be an http(s) URL"],
    ["duplicate origin", catalogOf(modelEntry({ origins: [{ id: "a", url: "https://x/v1", region: "eu" }, { id: "a", url: "https://y/v1", region: "us" }] })), "models[0].origins[1].id: duplicates origin id"],
    ["credential that is not a secret name", catalogOf(modelEntry({ origins: [{ id: "a", url: "https://x/v1", region: "eu", credential: "sk-live-123" }] })), "models[0].origins[0].credential: has an invalid format"],
    ["unknown model field", catalogOf({ ...modelEntry(), secret: 1 } as ModelEntry), "models[0].secret: is not a known field"],
    ["duplicate model", catalogOf(modelEntry(), modelEntry()), "models[1].id: duplicates model id"],
    ["unknown successor", catalogOf(modelEntry({ lifecycle: { deprecated: "2026-01-01", sunset: "2026-12-01", successor: "x" } })), "models[0].lifecycle.successor: names unknown model"],
    ["successor of another type", catalogOf(modelEntry({ lifecycle: { successor: "e" } }), modelEntry({ id: "e", type: "embedding" })), "models[0].lifecycle.successor: is an embedding model, not a chat model"],
    ["sunset without deprecation", catalogOf(modelEntry({ lifecycle: { sunset: "2027-01-01" } })), "models[0].lifecycle.deprecated: is required when a sunset is set"],
    ["bad date", catalogOf(modelEntry({ lifecycle: { deprecated: "soon" } })), "models[0].lifecycle.deprecated: has an invalid format"],
    ["zero expected completion", catalogOf(modelEntry({ expected_completion_tokens: 0 })), "models[0].expected_completion_tokens: must be an integer from 1 to the context length (4096)"],
    ["fractional expected completion", catalogOf(modelEntry({ expected_completion_tokens: 15.5 })), "models[0].expected_completion_tokens: must be an integer from 1"],
    ["expected completion as a string", catalogOf(modelEntry({ expected_completion_tokens: "16" as unknown as number })), "models[0].expected_completion_tokens: must be an integer from 1"],
    ["expected completion above the context", catalogOf(modelEntry({ expected_completion_tokens: 4097 })), "models[0].expected_completion_tokens: must be an integer from 1 to the context length (4096)"],
  ];
  for (const [name, input, message] of cases) {
    it(`rejects ${name}, naming the field`, () => {
      expect(errorsOf(input).join("\n")).toContain(message);
    });
  }

  it("enforces the notice periods: 6 months without a successor, 3 months with one", () => {
    const short = modelEntry({ lifecycle: { deprecated: "2026-01-01", sunset: "2026-05-01" } });
    expect(errorsOf(catalogOf(short)).join()).toContain("must be at least 182 days after deprecated");
    const withSuccessor = modelEntry({ lifecycle: { deprecated: "2026-01-01", sunset: "2026-04-02", successor: "n" } });
    expect(errorsOf(catalogOf(withSuccessor, modelEntry({ id: "n" })))).toEqual([]);
    const tooSoon = modelEntry({ lifecycle: { deprecated: "2026-01-01", sunset: "2026-03-01", successor: "n" } });
    expect(errorsOf(catalogOf(tooSoon, modelEntry({ id: "n" }))).join()).toContain("at least 91 days");
  });

  it("accepts expected_completion_tokens from 1 to the context length, and a model without it", () => {
    for (const v of [1, 16, 4096, undefined]) expect(validateCatalog(catalogOf(modelEntry(v === undefined ? {} : { expected_completion_tokens: v }))).ok).toBe(true);
    // The dev catalog's chat models publish what the simulated origin answers by default.
    const chats = devCatalog().models.filter((m) => m.type === "chat");
    expect(chats.map((m) => m.expected_completion_tokens)).toEqual(chats.map(() => DEFAULT_BEHAVIOUR.tokens));
  });

  it("reports every problem at once", () => {
    expect(errorsOf(catalogOf(modelEntry({ plan: "x" as "Base", context_length: -1, source_url: "" }))).length).toBe(3);
  });

  it("reports cross-model problems in the same round as field errors", () => {
    const errors = errorsOf(
      catalogOf(
        modelEntry({ plan: "Gold" as "Base", lifecycle: { deprecated: "2026-01-01", sunset: "2026-02-01", successor: "nowhere" } }),
        modelEntry({ source_url: "not a url" }),
      ),
    );
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining("models[0].plan: must be one of"),
        expect.stringContaining("models[1].source_url: must be an http(s) URL"),
        expect.stringContaining("models[1].id: duplicates model id"),
        expect.stringContaining('models[0].lifecycle.successor: names unknown model "nowhere"'),
        expect.stringContaining("models[0].lifecycle.sunset: must be at least 91 days"),
      ]),
    );
  });

  it("checks cross-model rules on malformed models without throwing", () => {
    const broken = { version: 1, models: [{ id: 5, origins: "x", lifecycle: { successor: 7, sunset: 3 } }, null, { id: "a", origins: [null, { id: 1 }] }] };
    expect(() => errorsOf(broken)).not.toThrow();
    expect(errorsOf(broken).length).toBeGreaterThan(0);
  });
});

describe("model lifecycle", () => {
  const now = Date.parse("2026-06-01T00:00:00Z");
  const models = new Map<string, ModelEntry>([
    ["live", modelEntry({ id: "live" })],
    ["old", modelEntry({ id: "old", lifecycle: { deprecated: "2026-05-01", sunset: "2026-09-01", successor: "live" } })],
    ["gone-to-live", modelEntry({ id: "gone-to-live", lifecycle: { deprecated: "2025-01-01", sunset: "2026-01-01", successor: "old" } })],
    ["gone", modelEntry({ id: "gone", lifecycle: { deprecated: "2025-01-01", sunset: "2025-08-01" } })],
    ["chain-dead", modelEntry({ id: "chain-dead", lifecycle: { deprecated: "2025-01-01", sunset: "2025-08-01", successor: "gone" } })],
  ]);

  it("serves active and deprecated models as themselves", () => {
    expect(resolveModel(models, "live", now)).toMatchObject({ kind: "serve", substituted: false });
    expect(resolveModel(models, "old", now)).toMatchObject({ kind: "serve", substituted: false });
  });

  it("serves a retired model by its first live successor", () => {
    const r = resolveModel(models, "gone-to-live", now);
    expect(r.kind === "serve" && r.model.id).toBe("old");
    expect(r.kind === "serve" && r.substituted).toBe(true);
  });

  it("reports retired models without a live successor as gone, unknown ones as not found", () => {
    expect(resolveModel(models, "gone", now).kind).toBe("gone");
    expect(resolveModel(models, "chain-dead", now).kind).toBe("gone");
    expect(resolveModel(models, "nope", now).kind).toBe("not_found");
  });

  it("sets Deprecation, Sunset and successor Link headers only once deprecated", () => {
    const h: Record<string, string> = {};
    lifecycleHeaders(models.get("old")!, now, h);
    expect(h).toEqual({
      deprecation: `@${Date.parse("2026-05-01") / 1000}`,
      sunset: "Tue, 01 Sep 2026 00:00:00 GMT",
      link: '</v1/models/live>; rel="successor-version"',
    });
    const none: Record<string, string> = {};
    lifecycleHeaders(models.get("old")!, Date.parse("2026-04-01"), none);
    expect(none).toEqual({});
  });

  it("shows a chat model's reservation prior in its card: the catalog's, else the default 256", () => {
    expect(modelCard(modelEntry({ expected_completion_tokens: 16 }), now).expected_completion_tokens).toBe(16);
    expect(modelCard(modelEntry(), now).expected_completion_tokens).toBe(256);
    expect(modelCard(modelEntry({ type: "embedding" }), now)).not.toHaveProperty("expected_completion_tokens");
  });

  it("shows the lifecycle in the model card and never the origins", () => {
    const card = modelCard(models.get("old")!, now);
    expect(card.lifecycle).toEqual({ status: "deprecated", released: null, deprecated: "2026-05-01", sunset: "2026-09-01", successor: "live" });
    expect(JSON.stringify(card)).not.toContain("gpu.example");
  });
});
