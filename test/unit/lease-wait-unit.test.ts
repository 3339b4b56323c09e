import { describe, expect, it } from "vitest";
import { LeaseAdmitter, type LeaseAnswer } from "../../src/quota/lease-admitter.ts";
import { LeaseHolder, type LeaseAsk } from "../../src/quota/lease-holder.ts";
import type { Decision, Units } from "../../src/quota/rate-limiter.ts";

const l = { rpm: 600, tpm: 60_000 }; // a lease is 10 requests, 1000 tokens
const want = { requests: 1, tokens: 100 };
const snap = { limitRequests: 600, limitTokens: 60_000, remainingRequests: 50, remainingTokens: 5_000, resetRequestsMs: 100, resetTokensMs: 100 };
const granted = (lease?: Units): LeaseAnswer => ({ kind: "granted", granted: want, snapshot: snap, ...(lease ? { lease } : {}) });

/** An object the test answers by hand: each call waits until the test settles it. */
function fakeObject() {
  const calls: Array<{ ask: LeaseAsk; answer: (a: LeaseAnswer) => void; fail: (e: Error) => void }> = [];
  const call = (ask: LeaseAsk): Promise<LeaseAnswer> =>
    new Promise((answer, fail) => {
      calls.push({ ask, answer, fail });
    });
  return { calls, call };
}

let seq = 0;
/** An isolate made busy at t=0 (one answered call), so its next call asks for a lease. */
async function busyIsolate(name: string) {
  let t = 0;
  const admitter = new LeaseAdmitter(new LeaseHolder(() => `${name}-lease-${++seq}`), () => t);
  const obj = fakeObject();
  const first = admitter.admit(name, l, want, t, obj.call);
  obj.calls[0]!.answer(granted());
  await first;
  obj.calls.length = 0;
  t = 100;
  return { admitter, obj, now: () => t };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("requests that find this isolate's lease ask on its way", () => {
  it("wait for it and take from the lease it brings: N concurrent requests, one object call", async () => {
    const { admitter, obj, now } = await busyIsolate("wait-one");
    const all = Array.from({ length: 8 }, () => admitter.admit("wait-one", l, want, now(), obj.call));
    await settle();
    expect(obj.calls).toHaveLength(1);
    expect(obj.calls[0]!.ask.lease?.want).toEqual({ requests: 10, tokens: 1000 });
    obj.calls[0]!.answer(granted({ requests: 10, tokens: 1000 }));
    const decisions: Decision[] = await Promise.all(all);
    expect(decisions.map((d) => d.kind)).toEqual(Array(8).fill("granted"));
    expect(obj.calls).toHaveLength(1);
  });

  it("send the rest to the object when the lease cannot cover them, the first arrivals served from it", async () => {
    const { admitter, obj, now } = await busyIsolate("wait-small");
    const all = Array.from({ length: 6 }, (_, i) => admitter.admit("wait-small", l, want, now(), obj.call).then((d) => ({ i, d })));
    await settle();
    expect(obj.calls).toHaveLength(1);
    // The object had room for a lease of 2 only: the asker and two waiters are served.
    obj.calls[0]!.answer(granted({ requests: 2, tokens: 200 }));
    await settle();
    // The three others call the object, each its own grant.
    expect(obj.calls).toHaveLength(4);
    for (const c of obj.calls.slice(1)) c.answer(granted());
    const done = await Promise.all(all);
    expect(done.every(({ d }) => d.kind === "granted")).toBe(true);
    expect(obj.calls.slice(1).every((c) => c.ask.lease === undefined || c.ask.lease.want.requests === 10)).toBe(true);
  });

  it("call the object themselves when the ask failed, or came back refused", async () => {
    const { admitter, obj, now } = await busyIsolate("wait-fail");
    const all = Array.from({ length: 4 }, () => admitter.admit("wait-fail", l, want, now(), obj.call).catch((e: Error) => e));
    await settle();
    expect(obj.calls).toHaveLength(1);
    obj.calls[0]!.fail(new Error("limiter timeout"));
    await settle();
    expect(obj.calls).toHaveLength(4);
    for (const c of obj.calls.slice(1)) c.answer(granted());
    const done = await Promise.all(all);
    expect(done[0]).toBeInstanceOf(Error);
    expect(done.slice(1).map((d) => (d instanceof Error ? "error" : d.kind))).toEqual(["granted", "granted", "granted"]);

    const limited: LeaseAnswer = { kind: "limited", limit: "requests", retryAfterMs: 100, requested: want, burst: want, snapshot: snap };
    const again = await busyIsolate("wait-refused");
    const more = Array.from({ length: 3 }, () => again.admitter.admit("wait-refused", l, want, again.now(), again.obj.call));
    await settle();
    expect(again.obj.calls).toHaveLength(1);
    again.obj.calls[0]!.answer(limited);
    await settle();
    expect(again.obj.calls).toHaveLength(3);
    for (const c of again.obj.calls.slice(1)) c.answer(limited);
    expect((await Promise.all(more)).map((d) => d.kind)).toEqual(["limited", "limited", "limited"]);
  });
});
