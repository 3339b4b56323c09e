// The console's arithmetic over usage buckets: totals equal to the API's rows, per-group
// sums, chart series aligned to the buckets, and stacking for the bars.

import { describe, expect, it } from "vitest";
import { seriesOf, stack, totals, totalsByGroup } from "../../console/src/lib/usage-series.ts";
import type { UsageBucket, UsageResult } from "../../console/src/lib/types.ts";

const r = (model: string, key: string, input: number, output: number, requests: number, cost: number): UsageResult => ({
  input_tokens: input, output_tokens: output, num_model_requests: requests, project_id: "proj_x", api_key_id: key, model,
  amount: { value: cost, currency: "EUR" },
});
const b = (start: number, results: UsageResult[]): UsageBucket => ({ start_time: start, end_time: start + 3600, results });

const buckets = [
  b(0, [r("a", "k1", 10, 5, 1, 0.1), r("b", "k1", 1, 1, 1, 0.2)]),
  b(3600, []),
  b(7200, [r("a", "k2", 3, 4, 2, 0.000001), r("a", "k1", 7, 0, 1, 0.3)]),
];

describe("console usage series", () => {
  it("totals are the plain sums of every result, cost without float dust", () => {
    expect(totals(buckets)).toEqual({ requests: 5, input: 21, output: 10, cost: 0.600001, currency: "EUR" });
    // 0.1 + 0.2 in floats is 0.30000000000000004; the console shows what the API's rounded amounts add to.
    expect(totals([b(0, [r("a", "k", 0, 0, 0, 0.1), r("a", "k", 0, 0, 0, 0.2)])]).cost).toBe(0.3);
    expect(totals([])).toEqual({ requests: 0, input: 0, output: 0, cost: 0, currency: "EUR" });
  });

  it("groups by model or key, largest cost first", () => {
    expect(totalsByGroup(buckets, "model").map((g) => [g.group, g.requests, g.input, g.cost])).toEqual([["a", 4, 20, 0.400001], ["b", 1, 1, 0.2]]);
    expect(totalsByGroup(buckets, "api_key_id").map((g) => [g.group, g.cost])).toEqual([["k1", 0.6], ["k2", 0.000001]]);
  });

  it("series have one value per bucket and group, empty buckets as zero", () => {
    const s = seriesOf(buckets, "model");
    expect(s.times).toEqual([0, 3600, 7200]);
    expect(s.groups).toEqual(["a", "b"]);
    expect(s.input).toEqual([[10, 0, 10], [1, 0, 0]]);
    expect(s.output).toEqual([[5, 0, 4], [1, 0, 0]]);
    expect(s.cost).toEqual([[0.1, 0, 0.300001], [0.2, 0, 0]]);
  });

  it("stacks from the last group up, so the first row is the total", () => {
    expect(stack([[1, 2], [3, 4], [5, 6]])).toEqual([[9, 12], [8, 10], [5, 6]]);
    expect(stack([])).toEqual([]);
  });
});
