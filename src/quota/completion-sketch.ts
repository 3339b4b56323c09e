// What requests without max_tokens really generate, per project and model: a small
// fixed histogram of completion tokens per choice, decayed so it follows recent traffic,
// and the reservation it yields (the mean read from bin upper bounds, never below what is safe).

/**
 * Bin upper bounds in tokens, about x1.5 apart: a quantile read from the histogram is the
 * upper bound of its bin, so it is never below the true quantile and at most ~50 % above.
 * The last bin is open: a sample above 32768 counts as 32768 and reads as 65536.
 */
export const BIN_UPPER: readonly number[] = [
  1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576,
  32768, 65536,
];

/** Reserved per choice until the object has seen enough, for a model whose catalog entry gives no expected_completion_tokens. */
export const DEFAULT_RESERVED = 256;
/** Samples (decayed weight) needed before the learned quantile replaces the default. */
export const MIN_SAMPLES = 20;
/** The quantile reported beside the reservation (what 99 in 100 answers fit): the docs' bound uses it. */
export const QUANTILE = 0.99;
/** Never reserve less than this per choice, whatever was learned. */
export const MIN_RESERVED = 16;
/**
 * Total weight at which every bin is halved: the histogram remembers about the last
 * 2 x HALVE_AT samples, so a change in traffic shows within a few hundred requests.
 */
export const HALVE_AT = 512;

export type Sketch = number[];

export const emptySketch = (): Sketch => BIN_UPPER.map(() => 0);

/** The bin a sample of `tokens` per choice falls in. */
export function binOf(tokens: number): number {
  for (let i = 0; i < BIN_UPPER.length; i++) if (tokens <= BIN_UPPER[i]!) return i;
  return BIN_UPPER.length - 1;
}

const total = (s: Sketch): number => s.reduce((a, b) => a + b, 0);

/**
 * Adds samples counted per bin (a settle batch's) to the sketch, halving it first as often
 * as needed to keep its weight under HALVE_AT. A halved bin keeps at least a trace of a
 * sample (weights are real numbers), so a rare long answer is not forgotten at once.
 */
export function addCounts(s: Sketch, counts: readonly number[]): Sketch {
  let next = s.map((w, i) => w + (counts[i] ?? 0));
  while (total(next) > HALVE_AT) next = next.map((w) => w / 2);
  return next;
}

/**
 * The q-quantile per choice: the upper bound of the bin holding it, at least MIN_RESERVED;
 * DEFAULT_RESERVED while the sketch is too thin. Reading upward from the top means a
 * sliver of weight in a high bin already counts.
 */
export function quantilePerChoice(s: Sketch, quantile = QUANTILE): number {
  const sum = total(s);
  if (sum < MIN_SAMPLES) return DEFAULT_RESERVED;
  const above = sum * (1 - quantile);
  let seen = 0;
  for (let i = s.length - 1; i >= 0; i--) {
    seen += s[i]!;
    if (seen > above) return Math.max(MIN_RESERVED, BIN_UPPER[i]!);
  }
  return DEFAULT_RESERVED;
}

/**
 * Completion tokens reserved per choice: the mean of the remembered answers, each read as
 * its bin's upper bound (so at least the true mean, at most ~50 % above), at least
 * MIN_RESERVED; DEFAULT_RESERVED while the sketch is too thin. Why the mean and not a
 * high quantile: with a few long answers the 99th percentile is many times the typical
 * answer, and reserving it for every request leaves ~30 % of the limit unusable
 * (docs/design/rate-limits.md). With the mean, reservations sum to what was used over
 * any stretch of traffic; the long answers' excess is charged at settle, and what a
 * window can hold above limit + burst is the excess of those still in flight (X_end).
 * `prior`: what the catalog says the model's answers average (expected_completion_tokens),
 * reserved until the project's own are known.
 */
export function reservedPerChoice(s: Sketch, prior = DEFAULT_RESERVED): number {
  const sum = total(s);
  if (sum < MIN_SAMPLES) return prior;
  const weighted = s.reduce((a, w, i) => a + w * BIN_UPPER[i]!, 0);
  return Math.max(MIN_RESERVED, Math.ceil(weighted / sum));
}

/** Whether the sketch has seen enough to replace the prior. */
export const hasLearned = (s: Sketch): boolean => total(s) >= MIN_SAMPLES;

/** Per-bin counts of samples: what a settle batch carries to the object. */
export function countsOf(samples: readonly number[]): number[] {
  const c = emptySketch();
  for (const t of samples) c[binOf(t)]!++;
  return c;
}
