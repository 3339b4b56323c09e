// The one object that owns an inference from admission on: the reservations and their
// booking, the breaker feedback, the access-log line and the finishers (trace span,
// budget charge). Every way a request ends comes through `end`, which runs once.

import type { KeyRecord } from "../auth/key-record.ts";
import type { ModelEntry } from "../catalog/types.ts";
import { writeAccessLog, type AccessLog } from "../http/access-log.ts";
import { ApiError } from "../openai/errors.ts";
import type { InferenceRequest } from "../openai/inference-request.ts";
import { estimatePromptTokens } from "../quota/estimate.ts";
import { settlementFromError, settlementFromRelay } from "../quota/settlement.ts";
import type { RelayEnd, RelayResult } from "../streaming/relay.ts";
import { admitAll, refusedRecord, type Admitted } from "./admit-all.ts";
import type { AdmissionInput, AdmissionStep, Finisher, InferenceEnd, InferenceRecord, Reservation } from "./record.ts";

/** The request as the owner takes it over: who asks, and the parts of the router state it writes. */
export interface OwnerStart {
  env: Env;
  ctx: ExecutionContext;
  requestId: string;
  startedAt: number;
  log: AccessLog;
  /** Aborts when the client goes away. */
  signal: AbortSignal | undefined;
  req: InferenceRequest;
  key: KeyRecord;
  /** The model that serves the request (after lifecycle substitution). */
  model: ModelEntry;
  /** The Prefer header (`wait=<s>`: the caller agrees to be held for admission). */
  prefer?: string | null;
}

/** The origin that answers, and how its breaker learns how the body ended. */
export interface OwnerOrigin {
  origin: { id: string; region: string };
  reportBodyEnd: (end: RelayEnd) => void;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export class InferenceOwner {
  readonly promptEstimate: number;
  #admitted: Readonly<Record<string, string>> = NO_HEADERS;
  #reservations: readonly Reservation[] = [];
  #origin: OwnerOrigin | null = null;
  #handedOver = false;
  #ended = false;
  #withdrawn = false;
  /** A client that goes away before the hand-over ends the invocation before any catch runs. */
  readonly #onAbort = (): void => this.clientLeft();

  readonly #start: OwnerStart;
  readonly #finishers: readonly Finisher[];

  constructor(start: OwnerStart, finishers: readonly Finisher[]) {
    this.#start = start;
    this.#finishers = finishers;
    this.promptEstimate = estimatePromptTokens(start.req);
    start.log.served_model = start.model.id;
  }

  /**
   * Runs the admission steps; a refusal ends the inference as `refused` and is rethrown.
   * With `gate` (the key's confirmation, still out), they run beside it and a refusal waits
   * for it: if the gate fails, the inference is withdrawn (see `withdrawn`) and its reason thrown.
   */
  async admit(steps: readonly AdmissionStep[], gate?: Promise<unknown>): Promise<void> {
    const { env, ctx, requestId, startedAt, req, key, model } = this.#start;
    const input: AdmissionInput = { requestId, key, model, req, startedAt, promptEstimate: this.promptEstimate, prefer: this.#start.prefer ?? null, signal: this.#start.signal, waitUntil: (p: Promise<unknown>) => ctx.waitUntil(p) };
    try {
      const admitting = admitAll(steps, env, ctx, input);
      const { reservations, headers } = gate === undefined ? await admitting : await this.#gated(admitting, gate, input);
      this.#reservations = reservations;
      this.#admitted = headers;
    } catch (err) {
      if (this.#withdrawn) throw err;
      const refusal = err instanceof ApiError ? err : null;
      this.#end("refused", refusal?.status ?? 500, refusal?.code ?? "internal_error", null, null, refusal?.headers ?? NO_HEADERS);
      throw err;
    }
    this.#start.signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Admission and the gate, side by side: the gate's failure comes first, and gives back what admission reserved. */
  async #gated(admitting: Promise<Admitted>, gate: Promise<unknown>, input: AdmissionInput): Promise<Admitted> {
    const [admitted, passed] = await Promise.allSettled([admitting, gate]);
    if (passed.status === "fulfilled") {
      if (admitted.status === "rejected") throw admitted.reason;
      return admitted.value;
    }
    this.#withdrawn = true;
    this.#ended = true;
    if (admitted.status === "fulfilled") {
      const record = refusedRecord(input, passed.reason);
      for (const r of admitted.value.reservations) {
        const booking = r.book(record);
        if (booking !== undefined) this.#start.ctx.waitUntil(booking);
      }
    }
    throw passed.reason;
  }

  /**
   * The gate failed: this inference never started. Its reservations were given back, and
   * it writes no log line and runs no finisher: the request's own line says why it ended.
   */
  get withdrawn(): boolean {
    return this.#withdrawn;
  }

  /** The x-ratelimit-* (and every other step's) headers, for every response from admission on. */
  get headers(): Readonly<Record<string, string>> {
    return this.#admitted;
  }

  /** The origin that answers: from now on the body's end is news for its breaker. */
  forwarded(origin: OwnerOrigin): void {
    this.#origin = origin;
    this.#start.log.origin_region = origin.origin.region;
  }

  /** The response leaves: a client that goes away from now on shows in how the body ends. */
  handOver(body: BodyInit, headers: Record<string, string>): Response {
    // The abort listener stays until the end: from now on clientLeft() ignores it.
    this.#handedOver = true;
    this.#start.log.status = 200;
    return new Response(body, { status: 200, headers });
  }

  /** A whole JSON answer went out in one piece. */
  answered(usage: RelayResult["usage"]): void {
    this.bodyEnded({ usage, deltaEvents: 0, end: "complete", firstByteAt: Date.now() });
  }

  /** The relayed body ended (complete, cut, stalled, or the client left after the hand-over). */
  bodyEnded(result: RelayResult): void {
    const billed = settlementFromRelay(this.#start.req, this.promptEstimate, result);
    this.#end(result.end, 200, null, billed.usage, result.firstByteAt, this.headers);
  }

  /**
   * An error response after admission: it gets the reservations' headers, and the end
   * reason says whose failure it was. Returns the error, for `throw owner.failed(err)`.
   */
  failed<E>(err: E, end?: RelayEnd): E {
    const e = err instanceof ApiError ? err : null;
    if (e !== null && this.#admitted !== NO_HEADERS) Object.assign(e.headers, this.#admitted);
    const code = e?.code ?? "internal_error";
    const reason: InferenceEnd = end ?? (code === "client_closed" ? "client_closed" : e !== null && e.status < 500 ? "rejected" : "origin_error");
    this.#end(reason, e?.status ?? 500, code, settlementFromError(this.promptEstimate, code).usage, null, this.headers);
    return err;
  }

  /** The client went away before the hand-over: the origin has read the prompt, so it is billed. */
  clientLeft(): void {
    if (this.#handedOver) return;
    this.#end("client_closed", 499, "client_closed", settlementFromError(this.promptEstimate, "client_closed").usage, null, this.headers);
  }

  #end(end: InferenceEnd, status: number, errorCode: string | null, usage: InferenceRecord["usage"], firstByteAt: number | null, rateLimit: Readonly<Record<string, string>>): void {
    if (this.#ended) return;
    this.#ended = true;
    const { env, ctx, req } = this.#start;
    this.#start.signal?.removeEventListener("abort", this.#onAbort);
    if (this.#origin !== null && end !== "refused" && end !== "rejected") this.#origin.reportBodyEnd(end);
    const record: InferenceRecord = {
      endpoint: req.endpoint,
      stream: req.stream,
      requestId: this.#start.requestId,
      projectId: this.#start.key.project_id,
      keyId: this.#start.key.key_id,
      requestedModel: req.model,
      servedModel: this.#start.model.id,
      originId: this.#origin?.origin.id ?? null,
      originRegion: this.#origin?.origin.region ?? null,
      startedAt: this.#start.startedAt,
      firstByteAt,
      endedAt: Date.now(),
      end,
      status,
      errorCode,
      usage,
      rateLimit,
    };
    this.#writeLog(record);
    for (const r of this.#reservations) {
      // Nothing returned: the record joined a batch that another request's context sends.
      const booking = r.book(record);
      if (booking !== undefined) ctx.waitUntil(booking);
    }
    for (const finish of this.#finishers) runFinisher(finish, record, env, ctx);
  }

  /** The log shows exactly the tokens billed. */
  #writeLog(r: InferenceRecord): void {
    const { log } = this.#start;
    log.status = r.status;
    log.end = r.end;
    log.error_code = r.errorCode;
    log.prompt_tokens = r.usage?.prompt_tokens ?? null;
    log.completion_tokens = r.usage?.completion_tokens ?? null;
    log.ttfb_ms = r.firstByteAt === null ? null : r.firstByteAt - r.startedAt;
    log.total_ms = r.endedAt - r.startedAt;
    writeAccessLog(log);
  }
}

/** One finisher's failure must not cost the others (or the invocation) anything. */
function runFinisher(finish: Finisher, record: InferenceRecord, env: Env, ctx: ExecutionContext): void {
  const failed = (err: unknown): void => console.log(JSON.stringify({ level: "error", event: "finisher_failed", finisher: finish.name, request_id: record.requestId, error: String(err) }));
  try {
    const p = finish.run(record, env, ctx);
    if (p !== undefined) ctx.waitUntil(p.catch(failed));
  } catch (err) {
    failed(err);
  }
}
