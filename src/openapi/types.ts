// The parts of OpenAPI 3.1 this document uses, typed so a misspelt field fails the build.

/** A JSON Schema (2020-12, OpenAPI 3.1's dialect) or a reference to a component. */
export type Schema = { $ref: string } | SchemaObject;

export interface SchemaObject {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean" | "null" | Array<"object" | "array" | "string" | "integer" | "number" | "boolean" | "null">;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: Array<string | number | null>;
  const?: string | number | boolean | null;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  minProperties?: number;
  maxLength?: number;
  default?: unknown;
  examples?: unknown[];
}

export interface Header {
  description: string;
  required?: boolean;
  schema: Schema;
}

export interface MediaType {
  schema: Schema;
  /** Our extension for text/event-stream: the schema of each `data:` event's JSON. */
  "x-event-schema"?: Schema;
}

export interface Response {
  description: string;
  headers?: Record<string, Header | { $ref: string }>;
  content?: Record<string, MediaType>;
}

export interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  description: string;
  required?: boolean;
  schema: Schema;
  style?: "form" | "simple";
  explode?: boolean;
}

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Empty: no credential needed. */
  security?: Array<Record<string, string[]>>;
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { required: boolean; content: Record<string, MediaType> };
  responses: Record<string, Response | { $ref: string }>;
}

export type Method = "get" | "post" | "put" | "patch" | "delete";
export type PathItem = { parameters?: Array<Parameter | { $ref: string }> } & { [M in Method]?: Operation };

export interface Document {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string; description: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, Schema>;
    responses: Record<string, Response>;
    headers: Record<string, Header>;
    parameters: Record<string, Parameter>;
    securitySchemes: Record<string, { type: "http"; scheme: "bearer"; description: string }>;
  };
}

/** `#/components/<kind>/<name>`. */
export const ref = (kind: "schemas" | "responses" | "headers" | "parameters", name: string): { $ref: string } => ({ $ref: `#/components/${kind}/${name}` });
