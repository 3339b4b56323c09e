import { describe, expect, it } from "vitest";
import { addCounts, BIN_UPPER, binOf, countsOf, DEFAULT_RESERVED, emptySketch, hasLearned, MIN_RESERVED, MIN_SAMPLES, quantilePerChoice, reservedPerChoice, type Sketch } from "../../src/quota/completion-sketch.ts";
import { prng } from "../../sim/prng.ts";

/** The exact q-quantile of raw samples: the smallest x with at least q of them <= x. */
function exactQuantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(q * s.length) - 1)]!;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const feed = (s: Sketch, samples: number[]): Sketch => addCounts(s, countsOf(samples));

describe("completion sketch", () => {
  it("reserves the default until it has seen enough samples", () => {
    const s = feed(emptySketch(), Array.from({ length: MIN_SAMPLES - 1 }, () => 5));
    expect(reservedPerChoice(s)).toBe(DEFAULT_RESERVED);
    expect(reservedPerChoice(feed(s, [5]))).toBe(MIN_RESERVED);
  });

  it("reserves the catalog's prior instead of the default until it has seen enough, then what it learned", () => {
    const thin = feed(emptySketch(), Array.from({ length: MIN_SAMPLES - 1 }, () => 40));
    expect(reservedPerChoice(thin, 16)).toBe(16);
    expect(hasLearned(thin)).toBe(false);
    // Longer answers than the prior said: once learned, the project's own mean wins (bin 48).
    const learned = feed(thin, [40]);
    expect(hasLearned(learned)).toBe(true);
    expect(reservedPerChoice(learned, 16)).toBe(48);
    expect(reservedPerChoice(learned)).toBe(48);
  });

  it("bins by upper bound", () => {
    expect(binOf(0)).toBe(0);
    expect(BIN_UPPER[binOf(13)]).toBe(16);
    expect(BIN_UPPER[binOf(16)]).toBe(16);
    expect(binOf(10_000_000)).toBe(BIN_UPPER.length - 1);
  });

  it("reserves the mean read from bin upper bounds: short answers down, a few long ones raise it a little, not to the tail", () => {
    const short = Array.from({ length: 200 }, (_, i) => 20 + (i % 10));
    const s = feed(emptySketch(), short);
    // 20-24 read as 24, 25-29 as 32: half each.
    expect(reservedPerChoice(s)).toBe(28);
    // 3 % long answers (900, read as 1024): (200 x 28 + 6 x 1024) / 206 = 57.0..., so 58,
    // while the 99th percentile, which the previous rule reserved, is among them.
    const withLong = feed(s, Array.from({ length: 6 }, () => 900));
    expect(reservedPerChoice(withLong)).toBe(58);
    expect(quantilePerChoice(withLong, 0.99)).toBe(1024);
  });

  it("never reserves less than the mean of what it remembers, nor twice that, over many random workloads", () => {
    const rnd = prng(7);
    for (let run = 0; run < 200; run++) {
      let s = emptySketch();
      const all: number[] = [];
      const batches = 1 + Math.floor(rnd() * 40);
      for (let b = 0; b < batches; b++) {
        // Skewed: mostly short, a heavy tail; some runs shift mid-way to longer answers.
        const scale = b > batches / 2 && run % 3 === 0 ? 8 : 1;
        const batch = Array.from({ length: 1 + Math.floor(rnd() * 30) }, () => Math.floor(scale * (rnd() < 0.95 ? 5 + rnd() * 60 : 100 + rnd() * 2000)));
        s = feed(s, batch);
        all.push(...batch);
      }
      const reserved = reservedPerChoice(s);
      if (all.length < MIN_SAMPLES) {
        expect(reserved).toBe(DEFAULT_RESERVED);
        continue;
      }
      // Before the first halving the sketch remembers every sample with weight 1: the
      // reservation then covers their mean (so together they reserve at least what they
      // used) and, bins being at most x2 apart, stays under twice it (or MIN_RESERVED).
      if (all.length <= 512) {
        expect(reserved).toBeGreaterThanOrEqual(mean(all));
        expect(reserved).toBeLessThanOrEqual(Math.max(MIN_RESERVED, Math.ceil(2 * mean(all))));
      }
      expect(reserved).toBeGreaterThanOrEqual(MIN_RESERVED);
      expect(reserved).toBeLessThanOrEqual(quantilePerChoice(s, 1));
    }
  });

  it("keeps its mean through halving, and a shift to longer answers raises it", () => {
    let s = emptySketch();
    for (let i = 0; i < 50; i++) s = feed(s, Array.from({ length: 20 }, () => 10));
    expect(s.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(512);
    expect(reservedPerChoice(s)).toBe(16);
    for (let i = 0; i < 10; i++) s = feed(s, Array.from({ length: 20 }, () => 300));
    // Halving keeps the proportions: the mean lies between the two, above the old one.
    const r = reservedPerChoice(s);
    expect(r).toBeGreaterThan(100);
    expect(r).toBeLessThan(384);
    expect(quantilePerChoice(s)).toBe(384);
  });
});
