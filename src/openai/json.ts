// The shape check every untrusted JSON value (bodies, KV values, catalogs) starts with.

export type JsonObject = Record<string, unknown>;

/** A plain JSON object: not null, not an array. */
export const isObj = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
