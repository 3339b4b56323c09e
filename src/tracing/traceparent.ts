// W3C Trace Context: the caller's `traceparent` lets the router's span join the caller's
// own trace; without one (or with a malformed one) the router's span is the root.

export interface TraceContext {
  traceId: Uint8Array;
  /** The caller's span: the parent of the router's. */
  parentSpanId: Uint8Array;
  sampled: boolean;
  traceState: string | undefined;
}

const HEX = /^[0-9a-f]+$/;

function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export { toHex } from "../http/byte-text.ts";

const allZero = (s: string): boolean => /^0+$/.test(s);

/**
 * Parses per the spec's rules: version 00 exactly 55 characters; a higher version may carry
 * more after a dash (read as 00); version ff, uppercase hex and all-zero ids are invalid.
 */
export function parseTraceparent(header: string | null, tracestate: string | null = null): TraceContext | null {
  if (header === null) return null;
  const h = header.trim();
  if (h.length < 55) return null;
  const [version, traceId, parentId, flags] = [h.slice(0, 2), h.slice(3, 35), h.slice(36, 52), h.slice(53, 55)];
  if (h[2] !== "-" || h[35] !== "-" || h[52] !== "-") return null;
  if (!HEX.test(version) || version === "ff" || !HEX.test(traceId) || !HEX.test(parentId) || !HEX.test(flags)) return null;
  if (version === "00" ? h.length !== 55 : h.length > 55 && h[55] !== "-") return null;
  if (allZero(traceId) || allZero(parentId)) return null;
  const state = tracestate?.trim();
  return {
    traceId: fromHex(traceId),
    parentSpanId: fromHex(parentId),
    sampled: (parseInt(flags, 16) & 1) === 1,
    traceState: state && state.length <= 512 ? state : undefined,
  };
}

/** Random ids as the spec asks (never all zero; the chance is 2^-64, retried anyway). */
export function randomId(bytes: 8 | 16): Uint8Array {
  const id = new Uint8Array(bytes);
  do crypto.getRandomValues(id);
  while (id.every((b) => b === 0));
  return id;
}
