import { describe, expect, it } from "vitest";
import { goDuration } from "../../src/quota/go-duration.ts";

describe("goDuration", () => {
  const cases: Array<[number, string]> = [
    [0, "0s"],
    [-5, "0s"],
    [0.2, "1ms"],
    [1, "1ms"],
    [120, "120ms"],
    [999, "999ms"],
    [1000, "1s"],
    [1500, "1.5s"],
    [8640, "8.64s"],
    [8641.2, "8.642s"],
    [59_999, "59.999s"],
    [60_000, "1m0s"],
    [61_500, "1m1.5s"],
    [360_000, "6m0s"],
    [3_600_000, "1h0m0s"],
    [3_723_000, "1h2m3s"],
  ];
  for (const [ms, text] of cases) {
    it(`${ms} ms is ${text}`, () => expect(goDuration(ms)).toBe(text));
  }
});
