// A valid catalog entry for unit tests: a small chat model with one origin; override what a test is about.

import type { ModelEntry } from "../../src/catalog/types.ts";

export function modelEntry(over: Partial<ModelEntry> = {}): ModelEntry {
  return {
    id: "m",
    type: "chat",
    plan: "Base",
    owned_by: "o",
    context_length: 4096,
    license: { name: "MIT", url: "https://opensource.org/licenses/MIT" },
    source_url: "https://huggingface.co/o/m",
    pricing: { input_per_million: 1, output_per_million: 2, currency: "EUR" },
    limits: { rpm: 10, tpm: 1000 },
    origins: [{ id: "a", url: "https://gpu.example/v1", region: "eu" }],
    ...over,
  };
}
