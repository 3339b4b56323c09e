// A project's tracing destination (its own MLflow): read, set and removed by the admin or
// a key with the 'keys' scope. The credential is write-only: no answer ever carries it.

import { errors } from "./errors.ts";
import { ref, type Operation, type PathItem, type Schema } from "./types.ts";

const SECURITY: Array<Record<string, string[]>> = [{ adminToken: [] }, { apiKey: [] }];
const json = (schema: string) => ({ "application/json": { schema: ref("schemas", schema) } });
const ok = (description: string, schema: string) => ({ "200": { description, content: json(schema) } });
const op = (operationId: string, summary: string, rest: Pick<Operation, "responses" | "requestBody">): Operation => ({ operationId, summary, tags: ["tracing"], security: SECURITY, ...rest });

export const tracingPaths: Record<string, PathItem> = {
  "/v1/organization/projects/{project_id}/tracing": {
    parameters: [ref("parameters", "ProjectId")],
    get: op("getTracing", "The project's MLflow destination, without its credential.", { responses: { ...ok("The destination.", "Tracing"), ...errors(401, 403, 404, 503) } }),
    put: op("putTracing", "Send every inference's span to this MLflow experiment. Without 'credential' the stored one is kept; null removes it.", {
      requestBody: { required: true, content: json("TracingInput") },
      responses: { ...ok("The destination.", "Tracing"), ...errors(400, 401, 403, 404, 413, 503) },
    }),
    delete: op("deleteTracing", "Stop tracing the project.", { responses: { ...ok("Deleted.", "TracingDeleted"), ...errors(401, 403, 404, 503) } }),
  },
};

const capture: Schema = { type: "string", enum: ["metadata", "full"], description: "metadata (default): no prompt or completion text; full: inputs and outputs too." };

export const tracingSchemas: Record<string, Schema> = {
  Tracing: {
    type: "object",
    required: ["object", "project_id", "tracking_uri", "experiment_id", "capture", "credential", "updated_at"],
    additionalProperties: false,
    properties: {
      object: { const: "organization.project.tracing" },
      project_id: { type: "string" },
      tracking_uri: { type: "string" },
      experiment_id: { type: "string" },
      capture,
      credential: { oneOf: [{ type: "null" }, { type: "object", required: ["type"], additionalProperties: false, properties: { type: { type: "string", enum: ["bearer", "basic"] } } }] },
      updated_at: { type: "integer", description: "Unix seconds." },
    },
  },
  TracingInput: {
    type: "object",
    required: ["tracking_uri", "experiment_id"],
    additionalProperties: false,
    properties: {
      tracking_uri: { type: "string", description: "https; http only on a loopback address. Spans go to <tracking_uri>/v1/traces." },
      experiment_id: { type: "string" },
      capture,
      credential: {
        description: "Write-only; stored encrypted.",
        oneOf: [
          { type: "null" },
          { type: "object", required: ["type", "token"], additionalProperties: false, properties: { type: { const: "bearer" }, token: { type: "string" } } },
          { type: "object", required: ["type", "username", "password"], additionalProperties: false, properties: { type: { const: "basic" }, username: { type: "string" }, password: { type: "string" } } },
        ],
      },
    },
  },
  TracingDeleted: {
    type: "object",
    required: ["object", "project_id", "deleted"],
    additionalProperties: false,
    properties: { object: { const: "organization.project.tracing.deleted" }, project_id: { type: "string" }, deleted: { const: true } },
  },
};
