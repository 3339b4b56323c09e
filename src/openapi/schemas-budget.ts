// The budget schemas: a project's and a key's monthly budget, and the alert webhook.
// Amounts are currency units (the catalog's currency), to six decimals.

import type { Schema } from "./types.ts";

const money = (description: string): Schema => ({ type: "number", minimum: 0, description });
const thresholds: Schema = { type: "array", maxItems: 10, items: { type: "integer", minimum: 1, maximum: 100 }, description: "Percentages of the limit at which an alert fires, once a month each." };
const line = {
  limit: { type: ["number", "null"], description: "The monthly limit; null: no budget." },
  spent: money("Booked this month."),
  held: money("Held by requests in flight (their worst case)."),
  leased: money("Part of `held` handed to edge isolates as leases."),
  remaining: { type: ["number", "null"], description: "limit − spent, at least 0; null without a budget." },
  thresholds,
} satisfies Record<string, Schema>;
const lineRequired = Object.keys(line);
const period = {
  project_id: { type: "string" },
  month: { type: "string", pattern: "^[0-9]{4}-[0-9]{2}$", description: "The calendar month (UTC), YYYY-MM." },
  resets_at: { type: "integer", minimum: 0, description: "The first instant of next month, unix seconds." },
  currency: { type: "string" },
} satisfies Record<string, Schema>;

export const budgetSchemas: Record<string, Schema> = {
  ProjectBudget: {
    type: "object",
    required: ["object", ...Object.keys(period), ...lineRequired, "api_keys"],
    additionalProperties: false,
    properties: {
      object: { const: "organization.project.budget" },
      ...period,
      ...line,
      api_keys: {
        type: "array",
        description: "The keys of the project that have a budget of their own.",
        items: { type: "object", required: ["api_key_id", ...lineRequired], additionalProperties: false, properties: { api_key_id: { type: ["string", "null"] }, ...line } },
      },
    },
  },
  ApiKeyBudget: {
    type: "object",
    required: ["object", ...Object.keys(period), "api_key_id", ...lineRequired],
    additionalProperties: false,
    properties: { object: { const: "organization.project.api_key.budget" }, ...period, api_key_id: { type: "string" }, ...line },
  },
  BudgetPut: {
    type: "object",
    required: ["amount"],
    additionalProperties: false,
    properties: {
      amount: { type: "number", minimum: 0.000001, maximum: 1e9, description: "The monthly limit, above 0, at most six decimals. A key's may not be above its project's." },
      thresholds: { ...thresholds, default: [50, 80, 100] },
    },
  },
  BudgetWebhookSet: {
    type: "object",
    required: ["url"],
    additionalProperties: false,
    properties: { url: { type: "string", maxLength: 2048, description: "https (plain http only to a loopback address), without credentials." } },
  },
  BudgetWebhook: {
    type: "object",
    required: ["object", "project_id", "url", "created_at"],
    additionalProperties: false,
    properties: { object: { const: "organization.project.budget_webhook" }, project_id: { type: "string" }, url: { type: "string" }, created_at: { type: ["integer", "null"], description: "Unix seconds." } },
  },
  BudgetWebhookWithSecret: {
    type: "object",
    description: "The webhook with its signing secret, returned once: when it is set.",
    required: ["object", "project_id", "url", "created_at", "secret"],
    additionalProperties: false,
    properties: {
      object: { const: "organization.project.budget_webhook" },
      project_id: { type: "string" },
      url: { type: "string" },
      created_at: { type: ["integer", "null"], description: "Unix seconds." },
      secret: { type: "string", pattern: "^whsec_[0-9a-f]{64}$", description: "Key of the x-budget-signature HMAC-SHA256; shown only here." },
    },
  },
  BudgetWebhookDeleted: {
    type: "object",
    required: ["object", "project_id", "deleted"],
    additionalProperties: false,
    properties: { object: { const: "organization.project.budget_webhook.deleted" }, project_id: { type: "string" }, deleted: { const: true } },
  },
};
