// Milliseconds as Go's time.Duration prints them, the format of OpenAI's x-ratelimit-reset-* headers.

/** Seconds with up to three decimals and no trailing zeros: 1s, 1.5s, 8.64s. */
const seconds = (ms: number): string => `${(ms / 1000).toFixed(3).replace(/\.?0+$/, "")}s`;

export function goDuration(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole === 0) return "0s";
  if (whole < 1000) return `${whole}ms`;
  if (whole < 60_000) return seconds(whole);
  const h = Math.floor(whole / 3_600_000);
  const m = Math.floor((whole % 3_600_000) / 60_000);
  const s = seconds(whole % 60_000);
  return h > 0 ? `${h}h${m}m${s}` : `${m}m${s}`;
}
