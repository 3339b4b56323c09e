// One traced request's side of tracing: what the caller's headers ask (traceparent, another
// experiment), the destination lookup started early, the answer captured for "full", and
// the finisher that turns the ended inference into a queued span. Untraced keys never get here.

import type { EdgeTracing } from "../../durable-objects/project-tracing.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import type { ModelEntry } from "../catalog/types.ts";
import { invalidRequest } from "../openai/errors.ts";
import type { Endpoint } from "../openai/inference-request.ts";
import { choicesOfBody, StreamAssembler } from "./assemble-output.ts";
import { destinationFor } from "./destination-cache.ts";
import { isExperimentId } from "./destination.ts";
import { exportSpan } from "./exporter.ts";
import { buildSpan } from "./span-build.ts";
import { captureStream } from "./stream-capture.ts";
import { parseTraceparent, randomId, type TraceContext } from "./traceparent.ts";
import type { AssembledChoice, TraceEnd, TracedInference } from "./traced-inference.ts";

/** The fields of the inference owner's record a span needs. */
export interface EndedInference {
  endpoint: Endpoint;
  stream: boolean;
  requestId: string;
  projectId: string;
  keyId: string;
  requestedModel: string;
  servedModel: string;
  originRegion: string | null;
  startedAt: number;
  firstByteAt: number | null;
  endedAt: number;
  end: TraceEnd;
  status: number;
  errorCode: string | null;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  rateLimit: Record<string, string>;
}

export const EXPERIMENT_HEADER = "x-mlflow-experiment-id";

export class RequestTrace {
  readonly destination: Promise<EdgeTracing | null>;
  private readonly parent: TraceContext | null;
  private readonly experimentId: string | null;
  private body: Record<string, unknown> | null = null;
  private assembler: StreamAssembler | null = null;
  private output: AssembledChoice[] | null = null;
  private full = false;

  private constructor(env: Env, request: Request, key: KeyRecord, version: number) {
    const experiment = request.headers.get(EXPERIMENT_HEADER);
    if (experiment !== null && !isExperimentId(experiment)) throw invalidRequest(`The '${EXPERIMENT_HEADER}' header must be an MLflow experiment id.`, EXPERIMENT_HEADER);
    this.experimentId = experiment;
    this.parent = parseTraceparent(request.headers.get("traceparent"), request.headers.get("tracestate"));
    this.destination = destinationFor(env, key.project_id, version);
  }

  /** Null for a key whose project does not trace: the only cost such a request pays. */
  static begin(env: Env, request: Request, key: KeyRecord): RequestTrace | null {
    return key.tracing === undefined ? null : new RequestTrace(env, request, key, key.tracing);
  }

  /** Called before the answer leaves: with capture "full" the body is kept and a stream is tapped. */
  async prepare(body: Record<string, unknown>): Promise<void> {
    const d = await this.destination;
    this.full = d?.capture === "full";
    if (this.full) this.body = body;
  }

  /** A stream's body, tapped for capture "full"; the same stream otherwise. */
  tap(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    if (!this.full) return stream;
    this.assembler = new StreamAssembler();
    return stream.pipeThrough(captureStream(this.assembler));
  }

  /** A whole JSON answer, for capture "full". */
  sawAnswer(bytes: Uint8Array): void {
    if (!this.full) return;
    try {
      this.output = choicesOfBody(JSON.parse(new TextDecoder().decode(bytes)));
    } catch {
      this.output = null;
    }
  }

  /** The inference owner's finisher for this request. */
  finisher(model: ModelEntry): (record: EndedInference, env: Env, ctx: ExecutionContext) => Promise<void> {
    return async (record, _env, ctx) => {
      const d = await this.destination;
      if (d === null) return;
      const span = buildSpan(this.traced(record, model), d.capture, this.parent, { traceId: randomId(16), spanId: randomId(8) });
      const destination = { endpoint: d.endpoint, experimentId: this.experimentId ?? d.experimentId, authorization: d.authorization, projectId: record.projectId };
      exportSpan(ctx, destination, span);
    };
  }

  private traced(r: EndedInference, model: ModelEntry): TracedInference {
    const failed = r.status >= 400 && r.end !== "client_closed";
    return {
      ...r,
      provider: model.owned_by,
      pricing: model.pricing,
      error: failed ? { status: r.status, code: r.errorCode, message: `${r.status} ${r.errorCode ?? "error"}` } : null,
      body: this.body,
      output: this.assembler?.choices() ?? this.output,
    };
  }
}
