// Token usage as OpenAI-compatible servers report it.

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

const count = (v: unknown): number | null => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : null);

export function parseUsage(v: unknown): Usage | null {
  if (typeof v !== "object" || v === null) return null;
  const u = v as Record<string, unknown>;
  const prompt = count(u.prompt_tokens);
  if (prompt === null) return null;
  return { prompt_tokens: prompt, completion_tokens: count(u.completion_tokens) ?? 0 };
}

/** The usage object of a JSON document that ends with one, found in its last bytes. */
export function usageFromTail(tail: string): Usage | null {
  const at = tail.lastIndexOf('"usage"');
  if (at === -1) return null;
  const open = tail.indexOf("{", at);
  if (open === -1) return null;
  const close = tail.indexOf("}", open);
  if (close === -1) return null;
  try {
    return parseUsage(JSON.parse(tail.slice(open, close + 1)));
  } catch {
    return null;
  }
}

/** How far from its end a JSON answer's usage object is looked for. */
export const USAGE_TAIL_BYTES = 4096;
const decoder = new TextDecoder();

/** The usage of a JSON answer (or of its last USAGE_TAIL_BYTES), read from its end. */
export function usageOfJson(bytes: Uint8Array): Usage | null {
  return usageFromTail(decoder.decode(bytes.subarray(Math.max(0, bytes.length - USAGE_TAIL_BYTES))));
}
