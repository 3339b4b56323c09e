// Fixtures of the limit and metering tests: models with tight limits, models served by
// the metering tests' own simulated origin, and direct reads of a limiter's ledger.

import { env } from "cloudflare:workers";
import { router } from "../../src/app.ts";
import type { ModelEntry } from "../../src/catalog/types.ts";
import type { LedgerRow } from "../../src/usage/ledger.ts";
import { seedCatalog, testCatalog } from "./helpers.ts";
import { eventually } from "../support/eventually.ts";

export const app = router;
export const METER = (): string => env.METER_ORIGIN_URL;

export async function limitsCatalog(): Promise<void> {
  const catalog = testCatalog();
  const base = catalog.models.find((m) => m.id === "test-chat")!;
  const like = (id: string, over: Partial<ModelEntry>): ModelEntry => ({ ...base, id, source_url: `https://huggingface.co/test/${id}`, ...over });
  const meterOrigin = [{ id: "meter", url: `${METER()}/v1`, region: "eu-central", model: "org/meter", credential: "SIM_ORIGIN_TOKEN" }];
  catalog.models.push(
    like("tight-rpm", { limits: { rpm: 60, tpm: 1_000_000 } }),
    // Refills slowly enough that a loaded test machine cannot change what a test sees.
    like("slow-rpm", { limits: { rpm: 6, tpm: 1_000_000 } }),
    like("count-rpm", { limits: { rpm: 30, tpm: 1_000_000 } }),
    like("tight-tpm", { limits: { rpm: 1000, tpm: 600 } }),
    // Room for a lease of 20 requests (a tenth of its 200-request burst).
    like("lease-rpm", { origins: meterOrigin, limits: { rpm: 1200, tpm: 100_000_000 } }),
    // The dev catalog's Base plan: 600 RPM (burst 100), 200,000 TPM (burst 33,334), and its
    // reservation prior: the simulated origin's default answer of 16 tokens.
    like("base-chat", { limits: { rpm: 600, tpm: 200_000 }, expected_completion_tokens: 16 }),
    // The same without a prior: 256 per choice until learned.
    like("base-chat-unset", { limits: { rpm: 600, tpm: 200_000 } }),
    // For Prefer: wait: 120 RPM, burst 20, one more every half second.
    like("wait-rpm", { limits: { rpm: 120, tpm: 1_000_000 } }),
    like("meter-chat", { origins: meterOrigin, limits: { rpm: 100_000, tpm: 100_000_000 }, pricing: { input_per_million: 1, output_per_million: 3, currency: "EUR" } }),
    like("meter-embed", { type: "embedding", origins: meterOrigin, limits: { rpm: 100_000, tpm: 100_000_000 } }),
  );
  await seedCatalog(catalog);
}

export const limiter = (project: string, model: string) => env.LIMITERS.get(env.LIMITERS.idFromName(`${project}/${model}`));

/** The limiter's ledger, once it holds at least `requests` requests (settling runs after the response). */
export async function ledger(project: string, model: string, requests: number): Promise<LedgerRow[]> {
  const read = (): Promise<LedgerRow[]> => limiter(project, model).usage({ fromHour: 0, toHour: Number.MAX_SAFE_INTEGER });
  return eventually(read, (rows) => rows.reduce((n, r) => n + r.requests, 0) >= requests, 200, 10);
}
