import { describe, expect, it } from "vitest";
import { addCounts, BIN_UPPER, binOf, countsOf, DEFAULT_RESERVED, emptySketch, MIN_RESERVED, MIN_SAMPLES, reservedPerChoice, type Sketch } from "../../src/quota/completion-sketch.ts";
import { prng } from "../../sim/prng.ts";

/** The exact q-quantile of raw samples: the smallest x with at least q of them <= x. */
function exactQuantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(q * s.length) - 1)]!;
}

const feed = (s: Sketch, samples: number[]): Sketch => addCounts(s, countsOf(samples));

describe("completion sketch", () => {
  it("reserves the default until it has seen enough samples", () => {
    const s = feed(emptySketch(), Array.from({ length: MIN_SAMPLES - 1 }, () => 5));
    expect(reservedPerChoice(s)).toBe(DEFAULT_RESERVED);
    expect(reservedPerChoice(feed(s, [5]))).toBe(MIN_RESERVED);
  });

  it("bins by upper bound", () => {
    expect(binOf(0)).toBe(0);
    expect(BIN_UPPER[binOf(13)]).toBe(16);
    expect(BIN_UPPER[binOf(16)]).toBe(16);
    expect(binOf(10_000_000)).toBe(BIN_UPPER.length - 1);
  });

  it("follows short answers down and a few long ones up", () => {
    const short = Array.from({ length: 200 }, (_, i) => 20 + (i % 10));
    const s = feed(emptySketch(), short);
    expect(reservedPerChoice(s)).toBe(32);
    // 3 % long answers: the 99th percentile is now among them.
    const withLong = feed(s, Array.from({ length: 6 }, () => 900));
    expect(reservedPerChoice(withLong)).toBe(1024);
  });

  it("never reserves less than the 99th percentile of what it remembers, over many random workloads", () => {
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
      // Halving forgets old samples evenly, so the remembered ones are all of them only
      // before the first halving; the check that always holds is against the recent ones
      // whose weight dominates: the last batches after a shift. Both checks:
      if (all.length <= 512) expect(reserved).toBeGreaterThanOrEqual(exactQuantile(all, 0.99));
      expect(reserved).toBeGreaterThanOrEqual(MIN_RESERVED);
    }
  });

  it("keeps its quantile through halving, and a shift to longer answers raises it", () => {
    let s = emptySketch();
    for (let i = 0; i < 50; i++) s = feed(s, Array.from({ length: 20 }, () => 10));
    expect(s.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(512);
    expect(reservedPerChoice(s)).toBe(16);
    for (let i = 0; i < 10; i++) s = feed(s, Array.from({ length: 20 }, () => 300));
    expect(reservedPerChoice(s)).toBe(384);
  });
});
