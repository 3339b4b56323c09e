// Response generation for the simulated origin: timing, fail modes and per-request token accounting.
import type { ServerResponse } from "node:http";
import { ChunkWriter, completionText, embed, embeddingBase64, shapedUsage, usage } from "./protocol.ts";
import type { ResolvedBehaviour } from "./protocol.ts";

export type Kind = "chat" | "completion" | "embedding";

export interface Counters {
  requests: number;
  completed: number;
  cancelled: number;
  promptTokens: number;
  completionTokens: number;
  byPath: Record<string, number>;
  /** TCP connections accepted: tells a client that reuses connections from one that does not. */
  connections: number;
}

// Large enough to amortise syscalls, small enough that backpressure and cancellation stay prompt.
const FLUSH_BYTES = 64 * 1024;

export interface Ctx {
  res: ServerResponse;
  st: Counters;
  b: ResolvedBehaviour;
  signal: AbortSignal;
  outcome: "completed" | "cancelled" | "failed" | null;
  /** Resolves once the client has reported `count` tokens received (sim.gate), false if cancelled. */
  seen(count: number): Promise<boolean>;
}

export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function drained(res: ServerResponse, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off("drain", onDrain);
      signal.removeEventListener("abort", onAbort);
      resolve(ok);
    };
    const onDrain = done(true);
    const onAbort = done(false);
    res.once("drain", onDrain);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export function send(res: ServerResponse, status: number, body: string, type = "application/json"): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export function fail(ctx: Ctx, act: () => void): void {
  ctx.outcome = "failed";
  act();
}

export interface Job {
  kind: Kind;
  id: string;
  created: number;
  model: string;
  len: number;
  reason: string;
  choices: number;
  promptTokens: number;
}

export async function unary(ctx: Ctx, job: Job): Promise<void> {
  const { res, b } = ctx;
  if (b.fail === "cut") return fail(ctx, () => res.socket?.destroy());
  if (b.fail === "stall_mid" || b.fail === "stall_declared" || b.fail === "cut_declared") return partial(ctx, job.id);
  if (b.fail === "malformed") return fail(ctx, () => send(res, 200, `{"id":"${job.id}","choices":[{not json`));
  // A real server only answers once the whole completion is decoded.
  if (!(await sleep(b.itlMs * Math.max(0, job.len - 1), ctx.signal))) return;
  const text = completionText(job.len);
  const choices = [];
  for (let i = 0; i < job.choices; i++) {
    choices.push(
      job.kind === "chat"
        ? { index: i, message: { role: "assistant", content: text }, logprobs: null, finish_reason: job.reason }
        : { index: i, text, logprobs: null, finish_reason: job.reason },
    );
  }
  const completion = job.len * job.choices;
  const object = job.kind === "chat" ? "chat.completion" : "text_completion";
  const u = shapedUsage(usage(job.promptTokens, completion), b.usageShape);
  const head = { id: job.id, object, created: job.created, model: job.model };
  const out =
    b.usageShape === "first"
      ? { usage: u, ...head, choices }
      : b.usageShape === "openai"
        ? { ...head, choices, usage: u, service_tier: "default", system_fingerprint: null }
        : b.usageShape === "vllm"
          ? { ...head, choices, usage: u, prompt_logprobs: null, kv_transfer_params: null }
          : { ...head, choices, usage: u };
  ctx.outcome = "completed";
  ctx.st.completionTokens += completion;
  ctx.st.completed++;
  send(res, 200, JSON.stringify(out));
}

/**
 * Headers and half a body, then silence (exercises body-read timeouts rather than header
 * timeouts) or, for cut_declared, a dropped connection. The _declared modes announce the
 * whole body's length; stall_mid sends it chunked.
 */
export function partial(ctx: Ctx, id: string): void {
  const { res, b } = ctx;
  const half = `{"id":"${id}","choices":[`;
  const declared = b.fail === "stall_declared" || b.fail === "cut_declared";
  res.writeHead(200, { "content-type": "application/json", ...(declared ? { "content-length": 2 * Buffer.byteLength(half) } : {}) });
  res.write(half);
  if (b.fail !== "cut_declared") return;
  const sock = res.socket;
  fail(ctx, () => sock?.end(() => sock.destroy()));
}

export function embeddings(ctx: Ctx, id: string, model: string, items: (string | number[])[], promptTokens: number, base64: boolean): void {
  const { res, b } = ctx;
  if (b.fail === "cut") return fail(ctx, () => res.socket?.destroy());
  if (b.fail === "stall_mid" || b.fail === "stall_declared" || b.fail === "cut_declared") return partial(ctx, id);
  if (b.fail === "malformed") return fail(ctx, () => send(res, 200, `{"object":"list","data":[{not json`));
  const data = items.map((it, index) => {
    const v = embed(it);
    return { object: "embedding", index, embedding: base64 ? embeddingBase64(v) : v };
  });
  ctx.outcome = "completed";
  ctx.st.completed++;
  send(res, 200, JSON.stringify({ id, object: "list", data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } }));
}

export async function stream(ctx: Ctx, job: Job, includeUsage: boolean): Promise<void> {
  const { res, b, st: counters, signal } = ctx;
  const w = new ChunkWriter(job.kind === "chat" ? "chat" : "completion", job.id, job.created, job.model, includeUsage);
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  // Token chunks handed to the socket so far, and how many are about to be (buffered in `buf`).
  let written = 0;
  let pending = 0;
  let buf = "";
  const flush = async (): Promise<boolean> => {
    if (signal.aborted || res.destroyed) return false;
    const ok = res.write(buf);
    counters.completionTokens += pending;
    written += pending;
    buf = "";
    pending = 0;
    return ok || (await drained(res, signal));
  };
  // In a stream a declared length means nothing: the _declared modes act as their plain ones.
  const mode = b.fail === "stall_declared" ? "stall_mid" : b.fail === "cut_declared" ? "cut" : b.fail;
  const limit = mode === "cut" || mode === "stall_mid" ? b.cutAfter : mode === "malformed" ? Math.min(2, job.len * job.choices) : Infinity;

  if (w.chat) for (let i = 0; i < job.choices; i++) buf += w.role(i);
  for (let k = 0; k < job.len && written + pending < limit; k++) {
    if (k > 0 && b.itlMs > 0) {
      if (!(await flush())) return;
      if (!(await sleep(b.itlMs, signal))) return;
    }
    if (k > 0 && b.gate !== "") {
      if (!(await flush())) return;
      if (!(await ctx.seen(k * job.choices))) return;
    }
    for (let i = 0; i < job.choices && written + pending < limit; i++) {
      buf += w.token(i, k);
      pending++;
    }
    if (buf.length >= FLUSH_BYTES && !(await flush())) return;
  }
  if (!(await flush())) return;

  if (mode === "cut") {
    // destroy() alone would discard the tokens still corked in the socket; flush them, then drop.
    const sock = res.socket;
    return fail(ctx, () => sock?.end(() => sock.destroy()));
  }
  if (mode === "stall_mid") return; // hold until the client gives up
  if (mode === "malformed") return fail(ctx, () => res.end("data: {not json\n\ndata: {not json\n\n"));
  for (let i = 0; i < job.choices; i++) buf += w.finish(i, job.reason);
  if (includeUsage) buf += w.usage(shapedUsage(usage(job.promptTokens, written), b.usageShape));
  buf += "data: [DONE]\n\n";
  ctx.outcome = "completed";
  counters.completed++;
  res.end(buf);
}
