// Reads a request body once, bounded in size, as strict UTF-8 JSON.

import { concat } from "../http/bytes.ts";
import { codedError, type ApiError } from "./errors.ts";
import { invalidJson } from "./request-errors.ts";
import type { JsonObject } from "./json.ts";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./json-depth.ts";

export function payloadTooLarge(limit: number): ApiError {
  return codedError("request_too_large", `Request body is larger than the limit of ${limit} bytes.`);
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Reads at most `limit` bytes; refuses early on a declared length over it. */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw payloadTooLarge(limit);
  if (request.body === null) return new Uint8Array(0);
  // A declared length within the limit is enforced by the HTTP layer: one native read.
  if (declared !== null) return new Uint8Array(await request.arrayBuffer());
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw payloadTooLarge(limit);
    }
    parts.push(value);
  }
  return concat(parts);
}

export type { JsonObject };

/** Parses a body that must be one JSON object. */
export function parseJsonObject(bytes: Uint8Array): JsonObject {
  if (bytes.byteLength === 0) throw invalidJson("Request body is empty; expected a JSON object.");
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw invalidJson("Request body is not valid UTF-8.");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof SyntaxError ? `: ${err.message}` : "";
    throw invalidJson(`Request body is not valid JSON${detail}.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidJson("Request body must be a JSON object.");
  }
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
    throw invalidJson(`Request body nests deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  return value as JsonObject;
}
