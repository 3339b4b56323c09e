// Prefer: wait=<seconds> (RFC 7240, section 4.3): how long a caller agrees to be held for
// admission, capped by the operator's MAX_ADMISSION_WAIT_MS; and the idle wait itself.

/** The operator's cap when MAX_ADMISSION_WAIT_MS is not set; "0" turns waiting off. */
export const DEFAULT_MAX_ADMISSION_WAIT_MS = 10_000;
/** However the operator sets it: past a minute the queue would outgrow the burst many times over. */
const HARD_MAX_MS = 60_000;

/** The seconds of a `wait` preference in a Prefer header, or null if there is none. */
export function preferredWaitSeconds(prefer: string | null | undefined): number | null {
  if (!prefer) return null;
  for (const pref of prefer.split(",")) {
    // A preference may carry parameters after ";": only its own token=value counts.
    const m = /^\s*wait\s*=\s*"?(\d{1,6})"?\s*$/i.exec(pref.split(";")[0] ?? "");
    if (m) return Number(m[1]);
  }
  return null;
}

export function operatorMaxWaitMs(raw: string | undefined): number {
  const n = raw === undefined || raw.trim() === "" ? DEFAULT_MAX_ADMISSION_WAIT_MS : Number(raw);
  return Number.isFinite(n) && n > 0 ? Math.min(Math.floor(n), HARD_MAX_MS) : 0;
}

/** The wait this request may be held: the caller's preference within the operator's cap (0: none). */
export function admissionWaitMs(prefer: string | null | undefined, operatorMaxMs: number): number {
  const s = preferredWaitSeconds(prefer);
  return s === null ? 0 : Math.min(s * 1000, operatorMaxMs);
}

/**
 * Resolves true after `ms`, or false as soon as `signal` aborts: one timer, nothing polled.
 * The timer and the listener are both gone when it resolves.
 */
export function waitUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
