import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { KeyRecord } from "../../src/auth/key-record.ts";
import type { ModelEntry } from "../../src/catalog/types.ts";
import { newAccessLog } from "../../src/http/access-log.ts";
import { admitAll } from "../../src/inference/admit-all.ts";
import { InferenceOwner } from "../../src/inference/owner.ts";
import type { AdmissionStep, Finisher, InferenceRecord, Reservation } from "../../src/inference/record.ts";
import { ApiError } from "../../src/openai/errors.ts";
import { parseInferenceRequest } from "../../src/openai/inference-request.ts";
import type { RelayEnd } from "../../src/streaming/relay.ts";

const env = {} as Env;
const key: KeyRecord = { project_id: "proj_owner_unit", key_id: "key_owner_unit", scopes: ["inference"], models: null, expires_at: null, limits: {} } as KeyRecord;
const model = { id: "owner-unit-model", type: "chat", context_length: 1000, limits: { rpm: 10, tpm: 1000 }, origins: [] } as unknown as ModelEntry;
const chatBody = { model: model.id, messages: [{ role: "user", content: "hello there" }], max_tokens: 4 };
const chatReq = () => parseInferenceRequest("chat", { ...chatBody }, 1000);
const LIMIT_HEADERS = { "x-ratelimit-limit-requests": "10" };

/** A world to watch: every booking, every finisher call, every breaker report, every log line. */
function world(opts: { steps?: AdmissionStep[] } = {}) {
  const booked: InferenceRecord[] = [];
  const finished: InferenceRecord[] = [];
  const breaker: RelayEnd[] = [];
  const kept: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => void kept.push(p), passThroughOnException: () => {} } as unknown as ExecutionContext;
  const abort = new AbortController();
  const log = newAccessLog("req_owner_unit", "POST", "/v1/chat/completions");
  const req = chatReq();
  const limiter: AdmissionStep = async () => ({ headers: LIMIT_HEADERS, book: (r) => void booked.push(r) });
  const finisher: Finisher = { name: "record", run: (r) => void finished.push(r) };
  const owner = new InferenceOwner({ env, ctx, requestId: "req_owner_unit", startedAt: 1_000, log, signal: abort.signal, req, key, model }, [finisher]);
  const origin = { origin: { id: "o1", region: "eu-central" }, reportBodyEnd: (end: RelayEnd) => void breaker.push(end) };
  return { owner, booked, finished, breaker, kept, abort, log, origin, steps: opts.steps ?? [limiter] };
}

let lines: string[];
beforeEach(() => {
  lines = [];
  vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
});
afterEach(() => vi.restoreAllMocks());
const requestLines = () => lines.filter((l) => l.includes('"event":"request"'));

describe("the inference owner books every end path exactly once", () => {
  it("answered: one booking with the origin's usage, one finisher call, one log line, breaker told complete", async () => {
    const w = world();
    await w.owner.admit(w.steps);
    w.owner.forwarded(w.origin);
    const res = w.owner.handOver("{}", { "content-type": "application/json" });
    w.owner.answered({ prompt_tokens: 7, completion_tokens: 3 });
    w.owner.clientLeft();
    w.owner.failed(new ApiError({ status: 502, type: "server_error", code: "origin_error", message: "late" }));
    w.owner.bodyEnded({ usage: null, deltaEvents: 9, end: "origin_error", firstByteAt: null });
    expect(res.status).toBe(200);
    expect(w.booked).toHaveLength(1);
    expect(w.finished).toEqual(w.booked);
    expect(w.booked[0]).toMatchObject({ end: "complete", status: 200, usage: { prompt_tokens: 7, completion_tokens: 3 }, originId: "o1", servedModel: model.id, projectId: key.project_id, rateLimit: LIMIT_HEADERS });
    expect(w.breaker).toEqual(["complete"]);
    expect(requestLines()).toHaveLength(1);
    expect(JSON.parse(requestLines()[0]!)).toMatchObject({ status: 200, end: "complete", prompt_tokens: 7, completion_tokens: 3 });
  });

  it("body ended after the hand-over with the client gone: one booking of what was delivered, the abort is not a second", async () => {
    const w = world();
    await w.owner.admit(w.steps);
    w.owner.forwarded(w.origin);
    w.owner.handOver("stream", {});
    w.abort.abort();
    w.owner.clientLeft();
    w.owner.bodyEnded({ usage: null, deltaEvents: 3, end: "client_closed", firstByteAt: 1_050 });
    w.owner.bodyEnded({ usage: null, deltaEvents: 5, end: "complete", firstByteAt: 1_050 });
    expect(w.booked).toHaveLength(1);
    expect(w.booked[0]).toMatchObject({ end: "client_closed", status: 200, firstByteAt: 1_050, usage: { completion_tokens: 2 } });
    expect(w.breaker).toEqual(["client_closed"]);
    expect(requestLines()).toHaveLength(1);
  });

  it("client left before the hand-over: the abort books the prompt once; the catch that follows adds nothing", async () => {
    const w = world();
    await w.owner.admit(w.steps);
    w.abort.abort();
    const err = new ApiError({ status: 499, type: "invalid_request_error", code: "client_closed", message: "gone" });
    expect(w.owner.failed(err)).toBe(err);
    w.owner.clientLeft();
    expect(w.booked).toHaveLength(1);
    expect(w.booked[0]).toMatchObject({ end: "client_closed", status: 499, errorCode: "client_closed", usage: { prompt_tokens: w.owner.promptEstimate, completion_tokens: 0 } });
    expect(w.owner.promptEstimate).toBeGreaterThan(0);
    expect(requestLines()).toHaveLength(1);
  });

  it("failed at the origin: one booking of nothing, the limit headers on the error, no breaker report from us", async () => {
    const w = world();
    await w.owner.admit(w.steps);
    const err = new ApiError({ status: 503, type: "server_error", code: "origin_unreachable", message: "down" });
    w.owner.failed(err);
    w.owner.failed(err);
    w.abort.abort();
    expect(err.headers).toMatchObject(LIMIT_HEADERS);
    expect(w.booked).toHaveLength(1);
    expect(w.booked[0]).toMatchObject({ end: "origin_error", status: 503, errorCode: "origin_unreachable", usage: null, originId: null });
    expect(w.breaker).toEqual([]);
    expect(JSON.parse(requestLines()[0]!)).toMatchObject({ status: 503, error_code: "origin_unreachable", end: "origin_error" });
  });

  it("a JSON body that stalled after forwarding: the breaker hears origin_stalled once", async () => {
    const w = world();
    await w.owner.admit(w.steps);
    w.owner.forwarded(w.origin);
    const err = new ApiError({ status: 504, type: "server_error", code: "origin_timeout", message: "stalled" });
    w.owner.failed(err, "origin_stalled");
    w.owner.failed(err);
    expect(w.breaker).toEqual(["origin_stalled"]);
    expect(w.booked.map((r) => r.end)).toEqual(["origin_stalled"]);
  });

  it("an error the origin blamed on the caller is `rejected` and does not feed the breaker", async () => {
    const w = world();
    await w.owner.admit(w.steps);
    w.owner.failed(new ApiError({ status: 400, type: "invalid_request_error", code: "bad", message: "no" }));
    expect(w.booked[0]).toMatchObject({ end: "rejected", status: 400, usage: null });
  });

  it("refused at admission: a record for the finishers (a span needs one), the refusal's headers, nothing to book", async () => {
    const refusal = new ApiError({ status: 429, type: "rate_limit_error", code: "rate_limit_exceeded", message: "slow down", headers: { "retry-after": "1" } });
    const w = world({ steps: [async () => Promise.reject(refusal)] });
    await expect(w.owner.admit(w.steps)).rejects.toBe(refusal);
    w.owner.failed(refusal);
    w.abort.abort();
    expect(w.booked).toHaveLength(0);
    expect(w.finished).toHaveLength(1);
    expect(w.finished[0]).toMatchObject({ end: "refused", status: 429, errorCode: "rate_limit_exceeded", usage: null, rateLimit: { "retry-after": "1" } });
    expect(requestLines()).toHaveLength(1);
  });

  it("a finisher that throws or rejects costs the others nothing, and an async one is kept alive", async () => {
    const w = world();
    const seen: string[] = [];
    const owner = new InferenceOwner(
      { env, ctx: { waitUntil: (p: Promise<unknown>) => void w.kept.push(p) } as unknown as ExecutionContext, requestId: "r2", startedAt: 0, log: newAccessLog("r2", "POST", "/"), signal: undefined, req: chatReq(), key, model },
      [
        {
          name: "throws",
          run: () => {
            throw new Error("boom");
          },
        },
        {
          name: "rejects",
          run: async () => {
            throw new Error("later boom");
          },
        },
        { name: "records", run: async (r) => void seen.push(r.end) },
      ],
    );
    await owner.admit([]);
    owner.answered(null);
    await Promise.all(w.kept);
    expect(seen).toEqual(["complete"]);
    // Each failure's line names its finisher by the name it was given (the bundle's own are minified).
    expect(lines.filter((l) => l.includes('"event":"finisher_failed"')).map((l) => (JSON.parse(l) as { finisher: string }).finisher)).toEqual(["throws", "rejects"]);
  });
  it("a booking that sends a call is kept alive; one that returns nothing adds no waitUntil", async () => {
    const sent: InferenceRecord[] = [];
    const sends: AdmissionStep = async () => ({ headers: {}, book: (r) => Promise.resolve(void sent.push(r)) });
    const w = world({ steps: [sends] });
    await w.owner.admit(w.steps);
    w.owner.answered(null);
    expect(sent).toHaveLength(1);
    expect(w.kept).toHaveLength(1);
    const quiet = world();
    await quiet.owner.admit(quiet.steps);
    quiet.owner.answered(null);
    expect(quiet.booked).toHaveLength(1);
    expect(quiet.kept).toHaveLength(0);
  });
});

describe("admission steps compose", () => {
  const grant = (name: string, booked: InferenceRecord[]): AdmissionStep => async () => ({ headers: { [`x-${name}`]: "1" }, book: (r) => void booked.push(r) }) satisfies Reservation;

  it("gathers every step's headers, and the owner books every reservation once", async () => {
    const a: InferenceRecord[] = [];
    const b: InferenceRecord[] = [];
    const w = world({ steps: [grant("limit", a), grant("budget", b)] });
    await w.owner.admit(w.steps);
    expect(w.owner.headers).toEqual({ "x-limit": "1", "x-budget": "1" });
    w.owner.answered(null);
    w.owner.answered(null);
    expect([a.length, b.length]).toEqual([1, 1]);
  });

  it("one refusal refuses the request, and the step that had reserved books the refusal once", async () => {
    const a: InferenceRecord[] = [];
    const kept: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => void kept.push(p) } as unknown as ExecutionContext;
    const refusal = new ApiError({ status: 402, type: "invalid_request_error", code: "budget_exhausted", message: "no budget" });
    const w = world();
    const input = { requestId: "r3", key, model, req: chatReq(), startedAt: 0, promptEstimate: 5, prefer: null, signal: undefined, waitUntil: () => undefined };
    // One booking sends a call (kept alive with waitUntil), one returns nothing (nothing to keep).
    const sending: AdmissionStep = async () => ({ headers: {}, book: (r) => Promise.resolve(void a.push(r)) });
    await expect(admitAll([grant("limit", a), sending, async () => Promise.reject(refusal)], env, ctx, input)).rejects.toBe(refusal);
    expect(a).toHaveLength(2);
    expect(a[0]).toMatchObject({ end: "refused", status: 402, errorCode: "budget_exhausted", usage: null });
    expect(kept).toHaveLength(1);
    expect(w.booked).toHaveLength(0);
  });
});
