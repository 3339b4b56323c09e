// A project's tracing destination: what the management API accepts (checked once here),
// what it shows (never the credential), and how a tracking URI becomes the export endpoint.

import type { JsonObject } from "../openai/body.ts";
import { invalidRequest } from "../openai/errors.ts";
import type { Capture } from "./traced-inference.ts";
import { isObj } from "../openai/json.ts";
import { toBase64 } from "../http/byte-text.ts";

export type Credential = { type: "bearer"; token: string } | { type: "basic"; username: string; password: string };

export interface TracingInput {
  tracking_uri: string;
  experiment_id: string;
  capture: Capture;
  /** undefined: keep the stored one; null: remove it. */
  credential: Credential | null | undefined;
}

/** What GET shows and the audit log records: the credential only as its type. */
export interface TracingView {
  tracking_uri: string;
  experiment_id: string;
  capture: Capture;
  credential: { type: Credential["type"] } | null;
  updated_at: number;
}

/** What the edge needs to export: the plaintext Authorization stays inside Workers. */
export interface EdgeTracing {
  version: number;
  endpoint: string;
  experimentId: string;
  capture: Capture;
  authorization: string | null;
}

const EXPERIMENT_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const MAX_URI = 2048;
const MAX_SECRET = 4096;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** https anywhere; http only on loopback (a local MLflow). No user info, query or fragment. */
export function parseTrackingUri(v: unknown): string {
  if (typeof v !== "string" || v.length === 0 || v.length > MAX_URI) throw invalidRequest("'tracking_uri' must be a URL.", "tracking_uri");
  const url = URL.parse(v);
  if (url === null) throw invalidRequest("'tracking_uri' must be a URL.", "tracking_uri");
  const loopback = LOOPBACK.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw invalidRequest("'tracking_uri' must use https (http only on a loopback address).", "tracking_uri");
  }
  if (url.username !== "" || url.password !== "") throw invalidRequest("'tracking_uri' must not carry credentials; use 'credential'.", "tracking_uri");
  if (url.search !== "" || url.hash !== "") throw invalidRequest("'tracking_uri' must not have a query or fragment.", "tracking_uri");
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

export const tracesEndpoint = (trackingUri: string): string => `${trackingUri}/v1/traces`;

export const isExperimentId = (v: unknown): v is string => typeof v === "string" && EXPERIMENT_ID.test(v);

function secret(v: unknown, field: string): string {
  if (typeof v !== "string" || v.length === 0 || v.length > MAX_SECRET || /[\r\n]/.test(v)) {
    throw invalidRequest(`'${field}' must be a non-empty string of one line.`, field);
  }
  return v;
}

function parseCredential(v: unknown): Credential | null | undefined {
  if (v === undefined || v === null) return v;
  if (!isObj(v)) throw invalidRequest("'credential' must be an object or null.", "credential");
  if (v.type === "bearer") return { type: "bearer", token: secret(v.token, "credential.token") };
  if (v.type === "basic") {
    const username = secret(v.username, "credential.username");
    if (username.includes(":")) throw invalidRequest("'credential.username' must not contain ':'.", "credential.username");
    return { type: "basic", username, password: secret(v.password, "credential.password") };
  }
  throw invalidRequest("'credential.type' must be 'bearer' or 'basic'.", "credential.type");
}

export function parseTracingInput(body: JsonObject): TracingInput {
  for (const k of Object.keys(body)) {
    if (!["tracking_uri", "experiment_id", "capture", "credential"].includes(k)) throw invalidRequest(`Unknown field '${k}'.`, k);
  }
  if (!isExperimentId(body.experiment_id)) throw invalidRequest("'experiment_id' must be an MLflow experiment id.", "experiment_id");
  const capture = body.capture ?? "metadata";
  if (capture !== "metadata" && capture !== "full") throw invalidRequest("'capture' must be 'metadata' or 'full'.", "capture");
  return { tracking_uri: parseTrackingUri(body.tracking_uri), experiment_id: body.experiment_id, capture, credential: parseCredential(body.credential) };
}

/** The Authorization header MLflow gets. */
export function authorizationOf(c: Credential): string {
  if (c.type === "bearer") return `Bearer ${c.token}`;
  return `Basic ${toBase64(new TextEncoder().encode(`${c.username}:${c.password}`))}`;
}
