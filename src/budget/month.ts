// Budget months: calendar months in UTC, named "YYYY-MM", and when each one resets.

export interface Month {
  /** "2026-12" */
  id: string;
  /** First millisecond of the month. */
  start: number;
  /** First millisecond of the next month: when the month's budget resets. */
  reset: number;
}

export function monthOf(ms: number): Month {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return { id: `${y}-${String(m + 1).padStart(2, "0")}`, start: Date.UTC(y, m, 1), reset: Date.UTC(y, m + 1, 1) };
}
