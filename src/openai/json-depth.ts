// Bounds how deeply a request body nests. V8 parses and re-serialises a million levels
// without complaint, but origins (Python's json, for one) fail on a few thousand with a
// 5xx, so a caller's absurd nesting must be refused here as the caller's mistake.

/** Generous for real bodies: tool and response_format JSON schemas stay far below it. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `value` nests objects/arrays more than `limit` levels deep. It recurses at most
 * `limit` + 1 calls deep, however deep the value, and allocates nothing: it runs on every
 * request body.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (limit <= 0) return true;
  if (Array.isArray(value)) {
    // Scalars are tested here, not called for: an embedding's input can hold 100,000 numbers.
    for (const c of value) if (typeof c === "object" && c !== null && nestsDeeperThan(c, limit - 1)) return true;
  } else {
    for (const k in value) if (nestsDeeperThan((value as Record<string, unknown>)[k], limit - 1)) return true;
  }
  return false;
}
