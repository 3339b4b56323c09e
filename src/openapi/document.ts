// The OpenAPI 3.1 description of the whole public API, served at GET /v1/openapi.json and
// checked against real responses by test/integration/openapi-integration.test.ts.

import { budgetPaths } from "./paths-budget.ts";
import { budgetSchemas } from "./schemas-budget.ts";
import { errorResponses, errorSchemas } from "./errors.ts";
import { headers } from "./headers.ts";
import { inferencePaths } from "./paths-inference.ts";
import { managementPaths } from "./paths-management.ts";
import { tracingPaths, tracingSchemas } from "./paths-tracing.ts";
import { inferenceSchemas } from "./schemas-inference.ts";
import { managementSchemas } from "./schemas-management.ts";
import type { Document } from "./types.ts";

export const openApiDocument: Document = {
  openapi: "3.1.0",
  info: {
    title: "Edge inference router",
    version: "0.1.0",
    description:
      "OpenAI-compatible inference (models, chat completions, completions, embeddings) with project API keys, per-model rate limits and metered usage, plus the management API for projects, keys, the audit log, usage and monthly budgets. Every error has OpenAI's shape; every response carries x-request-id.",
  },
  servers: [{ url: "http://127.0.0.1:8787", description: "npm start" }],
  tags: [
    { name: "models", description: "The catalog as the key may see it." },
    { name: "inference", description: "OpenAI's endpoints, relayed to a GPU origin." },
    { name: "projects", description: "Projects (admin)." },
    { name: "api_keys", description: "A project's API keys." },
    { name: "audit_logs", description: "Every change to a project and its keys." },
    { name: "usage", description: "Metered tokens and their cost." },
    { name: "budgets", description: "Monthly spend caps per project and key, and their alert webhook." },
    { name: "tracing", description: "Each inference as a span in the project's own MLflow experiment." },
    { name: "meta", description: "This document." },
  ],
  paths: { ...inferencePaths, ...managementPaths, ...budgetPaths, ...tracingPaths },
  components: {
    schemas: { ...errorSchemas, ...inferenceSchemas, ...managementSchemas, ...budgetSchemas, ...tracingSchemas },
    responses: errorResponses,
    headers,
    parameters: {
      ProjectId: { name: "project_id", in: "path", required: true, description: "The project, proj_…", schema: { type: "string" } },
      KeyId: { name: "key_id", in: "path", required: true, description: "The key, key_…", schema: { type: "string" } },
      Limit: { name: "limit", in: "query", description: "Items per page, 1 to 100 (default 20).", schema: { type: "integer", minimum: 1, maximum: 100 } },
      After: { name: "after", in: "query", description: "The last_id of the previous page.", schema: { type: "string" } },
    },
    securitySchemes: {
      apiKey: { type: "http", scheme: "bearer", description: "A project API key, sk-eir-…, with the scope the operation needs." },
      adminToken: { type: "http", scheme: "bearer", description: "The operators' ADMIN_TOKEN." },
    },
  },
};
