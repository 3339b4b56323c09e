// How numbers, money and times read in the console: one place, so every page agrees.

const int = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

export const fmtInt = (n: number): string => int.format(n);
export const fmtCompact = (n: number): string => (Math.abs(n) < 10_000 ? int.format(n) : compact.format(n));

/** Small amounts keep their significant digits: 0.000037 EUR is not "0.00". */
export function fmtMoney(v: number, currency: string): string {
  const digits = v === 0 || Math.abs(v) >= 1 ? 2 : Math.min(6, Math.max(2, 1 - Math.floor(Math.log10(Math.abs(v))) + 1));
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
  } catch {
    return `${v.toFixed(digits)} ${currency}`;
  }
}

/** Two significant digits, for chart axes. */
export function fmtMoneyShort(v: number, currency: string): string {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency, maximumSignificantDigits: 2 }).format(v);
  } catch {
    return String(v);
  }
}

export const fmtPrice = (perMillion: number, currency: string): string => `${fmtMoney(perMillion, currency)} / 1M`;

const pad = (n: number): string => String(n).padStart(2, "0");

/** UTC throughout: the usage API's buckets are UTC days and hours. */
export function fmtDateTime(unixS: number): string {
  const d = new Date(unixS * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

export function fmtDate(unixS: number): string {
  return new Date(unixS * 1000).toISOString().slice(0, 10);
}

export function fmtRelative(unixS: number, nowS = Date.now() / 1000): string {
  const d = unixS - nowS;
  const abs = Math.abs(d);
  const [n, unit] = abs < 90 ? [abs, "s"] : abs < 5400 ? [abs / 60, "min"] : abs < 129_600 ? [abs / 3600, "h"] : [abs / 86_400, "d"];
  const txt = `${Math.round(n)} ${unit}`;
  return d >= 0 ? `in ${txt}` : `${txt} ago`;
}

/** A date input's value (YYYY-MM-DD) as the unix second its UTC day starts. */
export const dayStart = (isoDate: string): number => Math.floor(Date.parse(`${isoDate}T00:00:00Z`) / 1000);
export const isoDay = (unixS: number): string => new Date(unixS * 1000).toISOString().slice(0, 10);
