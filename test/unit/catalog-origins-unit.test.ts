import { describe, expect, it } from "vitest";
import type { ModelEntry, OriginSpec } from "../../src/catalog/types.ts";
import { validateCatalog } from "../../src/catalog/validate.ts";

const origin = (over: Partial<OriginSpec> | Record<string, unknown> = {}): OriginSpec =>
  ({ id: "gpu-eu-1", url: "https://gpu-eu-1.example.net/v1", region: "eu-central", ...over }) as OriginSpec;

const model = (id: string, origins: OriginSpec[], over: Record<string, unknown> = {}): ModelEntry =>
  ({
    id,
    type: "chat",
    plan: "Base",
    owned_by: "test",
    context_length: 8192,
    license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
    source_url: "https://huggingface.co/test/x",
    pricing: { input_per_million: 1, output_per_million: 2, currency: "EUR" },
    limits: { rpm: 10, tpm: 1000 },
    origins,
    ...over,
  }) as ModelEntry;

const errorsOf = (...models: ModelEntry[]): string[] => {
  const r = validateCatalog({ version: 1, models });
  return r.ok ? [] : r.errors;
};

describe("catalog: origin fields", () => {
  it("accepts health_url, continent, coordinates and failover bounds", () => {
    const o = origin({ health_url: "https://gpu-eu-1.example.net/health", continent: "EU", lat: 50.1, lon: 8.7, weight: 2, priority: 1, credential: "GPU_EU_TOKEN" });
    expect(errorsOf(model("m", [o], { failover: { max_attempts: 2, budget_ms: 20_000 }, timeouts: { first_byte_ms: 5000, idle_ms: 10_000 } }))).toEqual([]);
  });

  it("rejects an unknown continent, lone or out-of-range coordinates, a bad health_url", () => {
    expect(errorsOf(model("m", [origin({ continent: "XX" })]))).toEqual(["models[0].origins[0].continent: must be one of AF, AN, AS, EU, NA, OC, SA"]);
    expect(errorsOf(model("m", [origin({ lat: 50 })]))).toEqual(["models[0].origins[0]: lat and lon go together"]);
    expect(errorsOf(model("m", [origin({ lat: 91, lon: 0 })]))[0]).toMatch(/origins\[0\]\.lat: must be a number between -90 and 90/);
    expect(errorsOf(model("m", [origin({ lat: 0, lon: "8" })]))[0]).toMatch(/origins\[0\]\.lon/);
    expect(errorsOf(model("m", [origin({ health_url: "ftp://x" })]))).toEqual(["models[0].origins[0].health_url: must be an http(s) URL"]);
  });

  it("rejects bad failover bounds", () => {
    expect(errorsOf(model("m", [origin()], { failover: { max_attempts: 0 } }))[0]).toMatch(/failover\.max_attempts/);
    expect(errorsOf(model("m", [origin()], { failover: { retries: 2 } }))[0]).toMatch(/failover\.retries: is not a known field/);
  });

  it("one origin id names one server across models", () => {
    expect(errorsOf(model("a", [origin()]), model("b", [origin()]))).toEqual([]);
    expect(errorsOf(model("a", [origin()]), model("b", [origin({ url: "https://elsewhere.example/v1" })]))[0]).toMatch(/models\[1\]\.origins\[0\]\.id: names another url/);
  });
});
