// The API's wire objects as the console reads them (see the README's management and usage API).

export type Scope = "inference" | "keys" | "usage";
export const SCOPES: readonly Scope[] = ["inference", "keys", "usage"];

export interface ModelCard {
  id: string;
  type: "chat" | "embedding";
  plan: string;
  display_name: string;
  description: string | null;
  owned_by: string;
  context_length: number;
  license: { name: string; url: string };
  source_url: string;
  pricing: { input_per_million: number; output_per_million: number; currency: string };
  limits: { rpm: number; tpm: number };
  lifecycle: { status: "active" | "deprecated" | "retired"; released: string | null; deprecated: string | null; sunset: string | null; successor: string | null };
}

export interface ApiKey {
  id: string;
  name: string;
  redacted_value: string;
  scopes: Scope[];
  models: string[] | null;
  created_at: number;
  expires_at: number | null;
  project_id: string;
  /** Only in the answer to create and rotate. */
  value?: string;
}

export type ModelLimits = Record<string, { rpm: number; tpm: number }>;

export interface Project {
  id: string;
  name: string;
  status: "active" | "suspended";
  limits: ModelLimits;
  created_at: number;
}

export interface List<T> {
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export type Actor = { type: "admin" } | { type: "api_key"; api_key: { id: string } };

export interface AuditEvent {
  id: string;
  type: string;
  effective_at: number;
  project: { id: string; name: string };
  actor: Actor;
  [details: string]: unknown;
}

export const AUDIT_TYPES = [
  "project.created", "project.updated", "project.suspended", "project.activated",
  "api_key.created", "api_key.updated", "api_key.rotated", "api_key.deleted",
] as const;

export interface UsageResult {
  input_tokens: number;
  output_tokens: number;
  num_model_requests: number;
  project_id: string | null;
  api_key_id: string | null;
  model: string | null;
  amount: { value: number; currency: string };
}

export interface UsageBucket {
  start_time: number;
  end_time: number;
  results: UsageResult[];
}

export interface UsagePage {
  data: UsageBucket[];
  has_more: boolean;
  next_page: string | null;
}
