// How long the hot path waits for the limiter before treating it as unreachable.

/** How long the hot path waits for the limiter before treating it as unreachable. */
export const LIMITER_TIMEOUT_MS = 2_000;

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("limiter timeout")), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
