// A row of the usage ledger as a limiter object keeps it: one project and model, one key, one hour.

export const HOUR_MS = 3_600_000;

export interface LedgerRow {
  /** Start of the hour, ms since epoch. */
  hour: number;
  keyId: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
}

export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;
