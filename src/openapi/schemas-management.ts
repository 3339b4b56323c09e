// The management API's schemas, after OpenAI's Admin API: projects, API keys, the audit
// log and usage buckets, with our additions (limits, scopes, models, cost).

import { SCOPES } from "../auth/key-record.ts";
import { AUDIT_TYPES, PROJECT_STATUSES } from "../projects/types.ts";
import { ref, type Schema } from "./types.ts";

const unix = (description: string): Schema => ({ type: "integer", minimum: 0, description });
const limits: Schema = {
  type: "object",
  description: "Per-model overrides of the catalog's limits: model id -> {rpm, tpm}.",
  additionalProperties: { type: "object", required: ["rpm", "tpm"], additionalProperties: false, properties: { rpm: { type: "integer", minimum: 1 }, tpm: { type: "integer", minimum: 1 } } },
};
const scopes: Schema = { type: "array", minItems: 1, items: { type: "string", enum: [...SCOPES] }, description: "inference: the model endpoints; keys: this project's keys and audit log; usage: this project's usage." };
const models: Schema = { type: ["array", "null"], items: { type: "string" }, minItems: 1, maxItems: 100, description: "The models the key may use; null: every model." };
const list = (item: string): Schema => ({
  type: "object",
  required: ["object", "data", "first_id", "last_id", "has_more"],
  additionalProperties: false,
  properties: { object: { const: "list" }, data: { type: "array", items: ref("schemas", item) }, first_id: { type: ["string", "null"] }, last_id: { type: ["string", "null"] }, has_more: { type: "boolean" } },
});
const apiKeyFields = {
  object: { const: "organization.project.api_key" },
  id: { type: "string" },
  name: { type: "string" },
  redacted_value: { type: "string", description: "The start and end of the secret, for recognising it." },
  scopes,
  models,
  created_at: unix("Unix seconds."),
  expires_at: { type: ["integer", "null"], description: "Unix seconds, or null for no expiry." },
  project_id: { type: "string" },
} satisfies Record<string, Schema>;
const apiKeyRequired = ["object", "id", "name", "redacted_value", "scopes", "models", "created_at", "expires_at", "project_id"];
/** In a single project or key read: this month's budget, or null where none is set. */
const budget: Schema = {
  type: ["object", "null"],
  required: ["limit", "spent", "remaining", "currency", "resets_at"],
  additionalProperties: false,
  properties: { limit: { type: "number", minimum: 0 }, spent: { type: "number", minimum: 0 }, remaining: { type: "number", minimum: 0 }, currency: { type: "string" }, resets_at: unix("The first instant of next month (UTC), unix seconds.") },
};

export const managementSchemas: Record<string, Schema> = {
  Project: {
    type: "object",
    required: ["object", "id", "name", "status", "limits", "created_at"],
    additionalProperties: false,
    properties: { object: { const: "organization.project" }, id: { type: "string", pattern: "^proj_" }, name: { type: "string" }, status: { type: "string", enum: [...PROJECT_STATUSES] }, limits, created_at: unix("Unix seconds."), budget },
  },
  ProjectList: list("Project"),
  ProjectCreate: {
    type: "object",
    required: ["name"],
    additionalProperties: false,
    properties: { id: { type: "string", pattern: "^proj_[A-Za-z0-9_-]{1,60}$", description: "Chosen id; a fresh proj_… if absent." }, name: { type: "string", minLength: 1, maxLength: 128 }, limits },
  },
  ProjectUpdate: {
    type: "object",
    minProperties: 1,
    additionalProperties: false,
    properties: { name: { type: "string", minLength: 1, maxLength: 128 }, status: { type: "string", enum: [...PROJECT_STATUSES], description: "suspended: every key of the project is refused." }, limits },
  },
  ApiKey: { type: "object", required: apiKeyRequired, additionalProperties: false, properties: { ...apiKeyFields, budget } },
  ApiKeyWithSecret: {
    type: "object",
    description: "A key with its secret, returned once: at creation and at rotation.",
    required: [...apiKeyRequired, "value"],
    additionalProperties: false,
    properties: { ...apiKeyFields, value: { type: "string", pattern: "^sk-eir-[A-Za-z0-9_-]{20,128}$" } },
  },
  ApiKeyList: list("ApiKey"),
  ApiKeyCreate: {
    type: "object",
    required: ["name"],
    additionalProperties: false,
    properties: {
      name: { type: "string", minLength: 1, maxLength: 128 },
      scopes: { ...scopes, default: ["inference"] },
      models,
      expires_at: { type: ["integer", "null"], description: "Unix seconds in the future, or null." },
      value: { type: "string", pattern: "^sk-eir-[A-Za-z0-9_-]{20,128}$", description: "Admin only: a chosen secret (the local demo key, migrations)." },
    },
  },
  ApiKeyUpdate: {
    type: "object",
    minProperties: 1,
    additionalProperties: false,
    properties: { name: { type: "string", minLength: 1, maxLength: 128 }, scopes, models, expires_at: { type: ["integer", "null"] } },
  },
  ApiKeyDeleted: {
    type: "object",
    required: ["object", "id", "deleted"],
    additionalProperties: false,
    properties: { object: { const: "organization.project.api_key.deleted" }, id: { type: "string" }, deleted: { const: true } },
  },
  AuditLog: {
    type: "object",
    description: "One change. The event's details sit under a property named like its type (OpenAI's shape), e.g. `api_key.created: {id, data}`.",
    required: ["id", "type", "effective_at", "project", "actor"],
    properties: {
      id: { type: "string" },
      type: { type: "string", enum: [...AUDIT_TYPES] },
      effective_at: unix("Unix seconds."),
      project: { type: "object", required: ["id", "name"], properties: { id: { type: "string" }, name: { type: "string" } } },
      actor: {
        oneOf: [
          { type: "object", required: ["type"], additionalProperties: false, properties: { type: { const: "admin" } } },
          { type: "object", required: ["type", "api_key"], additionalProperties: false, properties: { type: { const: "api_key" }, api_key: { type: "object", required: ["id"], properties: { id: { type: "string" } } } } },
        ],
      },
    },
  },
  AuditLogList: list("AuditLog"),
  UsageResult: {
    type: "object",
    required: ["object", "input_tokens", "output_tokens", "num_model_requests", "project_id", "api_key_id", "model", "amount"],
    additionalProperties: false,
    properties: {
      object: { const: "organization.usage.completions.result" },
      input_tokens: { type: "integer", minimum: 0 },
      output_tokens: { type: "integer", minimum: 0 },
      num_model_requests: { type: "integer", minimum: 0 },
      project_id: { type: ["string", "null"], description: "Set when grouped by project_id." },
      api_key_id: { type: ["string", "null"], description: "Set when grouped by api_key_id." },
      model: { type: ["string", "null"], description: "Set when grouped by model." },
      amount: { type: "object", required: ["value", "currency"], description: "Our addition: the cost at the catalog's prices.", properties: { value: { type: "number" }, currency: { type: "string" } } },
    },
  },
  UsagePage: {
    type: "object",
    required: ["object", "data", "has_more", "next_page"],
    additionalProperties: false,
    properties: {
      object: { const: "page" },
      data: {
        type: "array",
        items: {
          type: "object",
          required: ["object", "start_time", "end_time", "results"],
          additionalProperties: false,
          properties: { object: { const: "bucket" }, start_time: unix("Bucket start, unix seconds."), end_time: unix("Bucket end (exclusive)."), results: { type: "array", items: ref("schemas", "UsageResult") } },
        },
      },
      has_more: { type: "boolean" },
      next_page: { type: ["string", "null"], description: "Pass as `page` for the next buckets." },
    },
  },
};
