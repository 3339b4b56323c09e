import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parkInKv } from "../../src/quota/parked.ts";
import { parkedKey } from "../../src/storage/kv-keys.ts";
import { SettleSum } from "../../src/quota/settle-sum.ts";
import { runCron } from "./helpers.ts";
import { limiter } from "./limits-fixtures.ts";
import { expectLogs, type ExpectedLogs } from "../support/expected-logs.ts";

const H = 3_600_000;

describe("a settle batch the limiter object could not take", () => {
  // This file seeds no catalog: the cron's origin probe says so, and the sweep reports.
  let logs: ExpectedLogs;
  beforeEach(() => {
    logs = expectLogs(["catalog_missing", "settle_parked_sweep"]);
  });
  afterEach(() => {
    logs.spy.mockRestore();
  });
  it("is delivered from KV by the cron to the real object, booked once, even when parked again after it landed", async () => {
    const project = `proj_parked_${crypto.randomUUID().slice(0, 8)}`;
    const model = "test-chat";
    const limits = { rpm: 60, tpm: 60_000 };
    const sum = new SettleSum(crypto.randomUUID(), limits);
    const hour = Math.floor(Date.now() / H) * H;
    for (const keyId of ["key_a", "key_a", "key_b"]) {
      sum.add({ limits, granted: { requests: 1, tokens: 500 }, used: { requests: 1, tokens: 60 }, usage: { prompt_tokens: 10, completion_tokens: 10 }, keyId, hour });
    }
    const batch = sum.batch();
    await parkInKv(env.KV)(`${project}/${model}`, batch);
    expect(await env.KV.get(parkedKey(batch.id))).not.toBeNull();

    await runCron();
    expect(await env.KV.get(parkedKey(batch.id))).toBeNull();
    const booked = await limiter(project, model).usage({ fromHour: hour, toHour: hour + H });
    expect(booked).toEqual([
      { hour, keyId: "key_a", requests: 2, promptTokens: 20, completionTokens: 20 },
      { hour, keyId: "key_b", requests: 1, promptTokens: 10, completionTokens: 10 },
    ]);

    // An attempt that in fact landed, then was parked anyway: the object knows the id.
    await parkInKv(env.KV)(`${project}/${model}`, batch);
    await runCron();
    expect(await env.KV.get(parkedKey(batch.id))).toBeNull();
    expect(await limiter(project, model).usage({ fromHour: hour, toHour: hour + H })).toEqual(booked);
    expect(logs.events("settle_parked_sweep").map((l) => l.delivered)).toEqual([1, 1]);
  });
});
