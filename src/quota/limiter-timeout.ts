// How long the hot path waits for the limiter (and the budget) before treating it as unreachable.

/** How long the hot path waits for the limiter before treating it as unreachable. */
export const LIMITER_TIMEOUT_MS = 2_000;

/** `p`, or a rejection "<what> timeout" after `ms` (the budget's call uses it too). */
export function withTimeout<T>(p: Promise<T>, ms: number, what = "limiter"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timeout`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
