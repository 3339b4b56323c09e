// Bounds how deeply a request body nests. V8 parses and re-serialises a million levels
// without complaint, but origins (Python's json, for one) fail on a few thousand with a
// 5xx, so a caller's absurd nesting must be refused here as the caller's mistake.

/** Generous for real bodies: tool and response_format JSON schemas stay far below it. */
export const MAX_JSON_DEPTH = 64;

/** True when `value` nests objects/arrays more than `limit` levels deep. Iterative, so no stack to overflow. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<{ v: unknown; d: number }> = [{ v: value, d: 1 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { v, d } = item;
    if (typeof v !== "object" || v === null) continue;
    if (d > limit) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) if (typeof c === "object" && c !== null) stack.push({ v: c, d: d + 1 });
  }
  return false;
}
