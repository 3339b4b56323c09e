// The model catalog: one JSON document in KV, in the wire's snake_case.

import type { Limits } from "../quota/rate-limiter.ts";

export type ModelType = "chat" | "embedding";
export type Plan = "Base" | "Plus" | "Premium";

export interface OriginSpec {
  /** Stable name, used in logs and health state; never shown to clients. */
  id: string;
  /** OpenAI-style base URL of the origin, e.g. https://gpu-eu-1.example.net/v1 */
  url: string;
  region: string;
  /** The model name the origin serves, if it differs from the catalog id. */
  model?: string;
  weight?: number;
  priority?: number;
  /** Name of a Worker secret holding the origin's bearer token. */
  credential?: string;
  /** Probed by the health cron; default: /health at the root of url's host (vLLM's). */
  health_url?: string;
  /** Where the origin is, for choosing the nearest: a continent code (EU, NA, ...), coordinates or both. */
  continent?: Continent;
  lat?: number;
  lon?: number;
}

export type Continent = "AF" | "AN" | "AS" | "EU" | "NA" | "OC" | "SA";
export const CONTINENTS: readonly Continent[] = ["AF", "AN", "AS", "EU", "NA", "OC", "SA"];

export interface Lifecycle {
  released?: string;
  /** From this date the model answers with Deprecation and Sunset headers. */
  deprecated?: string;
  /** From this date the model is retired: served by its successor or 410. */
  sunset?: string;
  successor?: string;
}

export interface ModelEntry {
  id: string;
  type: ModelType;
  plan: Plan;
  owned_by: string;
  display_name?: string;
  description?: string;
  context_length: number;
  license: { name: string; url: string };
  source_url: string;
  pricing: { input_per_million: number; output_per_million: number; currency: string };
  limits: Limits;
  /**
   * Completion tokens per choice a request without max_tokens is expected to produce (an
   * integer, 1..context_length): what the limiter reserves until a project has learned its
   * own (completion-sketch.ts). Operators read it off vLLM's vllm:request_generation_tokens
   * histogram (its mean). Absent: DEFAULT_RESERVED (256).
   */
  expected_completion_tokens?: number;
  lifecycle?: Lifecycle;
  origins: OriginSpec[];
  /** first_byte_ms: per attempt, connect to first byte; idle_ms: longest silence inside a stream. */
  timeouts?: { first_byte_ms?: number; idle_ms?: number };
  /** Bounds on trying further origins before the first byte: attempts, and total time from the first. */
  failover?: { max_attempts?: number; budget_ms?: number };
}

export interface Catalog {
  version: 1;
  updated_at?: string;
  models: ModelEntry[];
}
