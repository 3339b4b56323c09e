// Bounds how deeply a request body nests. V8 parses and re-serialises a million levels
// without complaint, but origins (Python's json, for one) fail on a few thousand with a
// 5xx, so a caller's absurd nesting must be refused here as the caller's mistake.

/** Generous for real bodies: tool and response_format JSON schemas stay far below it. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `value` nests objects/arrays more than `limit` levels deep. Iterative, so no
 * stack to overflow, and it allocates nothing per node: it runs on every request body.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const values: object[] = [];
  const depths: number[] = [];
  if (typeof value === "object" && value !== null) {
    values.push(value);
    depths.push(1);
  }
  for (let v = values.pop(); v !== undefined; v = values.pop()) {
    const d = depths.pop()!;
    if (d > limit) return true;
    if (Array.isArray(v)) {
      for (const c of v) {
        if (typeof c === "object" && c !== null) {
          values.push(c as object);
          depths.push(d + 1);
        }
      }
    } else {
      for (const k in v) {
        const c = (v as Record<string, unknown>)[k];
        if (typeof c === "object" && c !== null) {
          values.push(c);
          depths.push(d + 1);
        }
      }
    }
  }
  return false;
}
