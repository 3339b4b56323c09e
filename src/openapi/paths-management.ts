// The management API (after OpenAI's Admin API): projects, their API keys, the audit log
// and usage. The admin token may do everything; a project's key acts within its scopes.

import { errors } from "./errors.ts";
import { ref, type Operation, type Parameter, type PathItem } from "./types.ts";

type Security = Array<Record<string, string[]>>;
const ADMIN: Security = [{ adminToken: [] }];
const ADMIN_OR_KEY: Security = [{ adminToken: [] }, { apiKey: [] }];
const json = (schema: string) => ({ "application/json": { schema: ref("schemas", schema) } });
const ok = (description: string, schema: string) => ({ "200": { description, content: json(schema) } });
const body = (schema: string) => ({ required: true, content: json(schema) });
const query = (name: string, description: string, schema: Parameter["schema"]): Parameter => ({ name, in: "query", description, schema });
const paging = [ref("parameters", "Limit"), ref("parameters", "After")];

function op(operationId: string, summary: string, tag: string, security: Operation["security"], rest: Omit<Operation, "operationId" | "summary" | "tags" | "security">): Operation {
  return { operationId, summary, tags: [tag], security, ...rest };
}

const updateProject = (operationId: string): Operation =>
  op(operationId, "Rename, suspend or reactivate a project, or set its limits (admin).", "projects", ADMIN, {
    requestBody: body("ProjectUpdate"),
    responses: { ...ok("The project.", "Project"), ...errors(400, 401, 403, 404, 413, 503) },
  });
const updateKey = (operationId: string): Operation =>
  op(operationId, "Rename a key or change its scopes, models or expiry, never beyond the caller's own.", "api_keys", ADMIN_OR_KEY, {
    requestBody: body("ApiKeyUpdate"),
    responses: { ...ok("The key.", "ApiKey"), ...errors(400, 401, 403, 404, 413, 503) },
  });

const auditParams = [
  ...paging,
  query("effective_at[gte]", "Events at or after, unix seconds (also [gt], [lte], [lt]).", { type: "integer" }),
  query("effective_at[lte]", "Events at or before, unix seconds.", { type: "integer" }),
  query("event_types[]", "Only these event types.", { type: "string" }),
];

export const managementPaths: Record<string, PathItem> = {
  "/v1/organization/projects": {
    get: op("listProjects", "Every project, in id order (admin).", "projects", ADMIN, { parameters: paging, responses: { ...ok("A page of projects.", "ProjectList"), ...errors(400, 401, 403, 503) } }),
    post: op("createProject", "A new project (admin).", "projects", ADMIN, { requestBody: body("ProjectCreate"), responses: { ...ok("The project.", "Project"), ...errors(400, 401, 403, 409, 413, 503) } }),
  },
  "/v1/organization/projects/{project_id}": {
    parameters: [ref("parameters", "ProjectId")],
    get: op("getProject", "One project: the admin any, a key with the keys scope its own.", "projects", ADMIN_OR_KEY, { responses: { ...ok("The project.", "Project"), ...errors(401, 403, 404, 503) } }),
    post: updateProject("updateProject"),
    patch: updateProject("patchProject"),
  },
  "/v1/organization/projects/{project_id}/api_keys": {
    parameters: [ref("parameters", "ProjectId")],
    get: op("listApiKeys", "The project's keys, oldest first (never their secrets).", "api_keys", ADMIN_OR_KEY, { parameters: paging, responses: { ...ok("A page of keys.", "ApiKeyList"), ...errors(400, 401, 403, 404, 503) } }),
    post: op("createApiKey", "A new key; its secret is in this answer only.", "api_keys", ADMIN_OR_KEY, {
      requestBody: body("ApiKeyCreate"),
      responses: { ...ok("The key with its secret.", "ApiKeyWithSecret"), ...errors(400, 401, 403, 404, 409, 413, 503) },
    }),
  },
  "/v1/organization/projects/{project_id}/api_keys/{key_id}": {
    parameters: [ref("parameters", "ProjectId"), ref("parameters", "KeyId")],
    get: op("getApiKey", "One key (never its secret).", "api_keys", ADMIN_OR_KEY, { responses: { ...ok("The key.", "ApiKey"), ...errors(401, 403, 404, 503) } }),
    post: updateKey("updateApiKey"),
    patch: updateKey("patchApiKey"),
    delete: op("deleteApiKey", "Revoke a key; the edge refuses it within seconds.", "api_keys", ADMIN_OR_KEY, { responses: { ...ok("Deleted.", "ApiKeyDeleted"), ...errors(401, 403, 404, 503) } }),
  },
  "/v1/organization/projects/{project_id}/api_keys/{key_id}/rotate": {
    parameters: [ref("parameters", "ProjectId"), ref("parameters", "KeyId")],
    post: op("rotateApiKey", "A new secret for the key; the old one stops working.", "api_keys", ADMIN_OR_KEY, { responses: { ...ok("The key with its new secret.", "ApiKeyWithSecret"), ...errors(401, 403, 404, 503) } }),
  },
  "/v1/organization/projects/{project_id}/audit_logs": {
    parameters: [ref("parameters", "ProjectId")],
    get: op("listProjectAuditLogs", "The project's changes, newest first.", "audit_logs", ADMIN_OR_KEY, { parameters: auditParams, responses: { ...ok("A page of events.", "AuditLogList"), ...errors(400, 401, 403, 404, 503) } }),
  },
  "/v1/organization/audit_logs": {
    get: op("listAuditLogs", "A project's changes, newest first: a key's own, or the one the admin names in project_ids[].", "audit_logs", ADMIN_OR_KEY, {
      parameters: [...auditParams, query("project_ids[]", "The project (one).", { type: "string" })],
      responses: { ...ok("A page of events.", "AuditLogList"), ...errors(400, 401, 403, 404, 503) },
    }),
  },
  "/v1/organization/usage/completions": {
    get: op("usageCompletions", "Metered usage in time buckets (OpenAI's usage API), or a CSV export: the admin for a named project, a key with the usage scope for its own.", "usage", ADMIN_OR_KEY, {
      parameters: [
        query("start_time", "Start, unix seconds (required).", { type: "integer" }),
        query("end_time", "End, unix seconds; now if absent.", { type: "integer" }),
        query("bucket_width", "1h or 1d.", { type: "string", enum: ["1h", "1d"], default: "1d" }),
        query("group_by", "Any of model, api_key_id, project_id.", { type: "string" }),
        query("project_id", "The project (the admin must name one).", { type: "string" }),
        query("models", "Only these models (comma-separated or repeated).", { type: "string" }),
        query("api_key_ids", "Only these keys.", { type: "string" }),
        query("limit", "Buckets per page (1d: 7, at most 31; 1h: 24, at most 168).", { type: "integer", minimum: 1 }),
        query("page", "The next_page of the previous answer.", { type: "string" }),
        query("format", "json or csv (the whole range as one file).", { type: "string", enum: ["json", "csv"], default: "json" }),
      ],
      responses: {
        "200": { description: "A page of buckets, or CSV.", content: { ...json("UsagePage"), "text/csv": { schema: { type: "string" } } } },
        ...errors(400, 401, 403, 404, 503),
      },
    }),
  },
};
