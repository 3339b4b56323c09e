// mulberry32: a small seeded generator, so a failing generated case names a seed that
// replays it. Shared by the simulated origin (its embeddings), the property tests, the
// hostile-input generator and bench:limits.

export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
