// One traced request's side of tracing: what the caller's headers ask (traceparent, another
// experiment), the destination lookup started early, the answer captured for "full", and
// the finisher that turns the ended inference into a queued span. Untraced keys never get here.

import type { EdgeTracing } from "./destination.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import type { ModelEntry } from "../catalog/types.ts";
import { invalidRequest } from "../openai/errors.ts";
import { isEventStream } from "../streaming/origin-body.ts";
import { StreamAssembler } from "./assemble-output.ts";
import { destinationFor } from "./destination-cache.ts";
import { isExperimentId } from "./destination.ts";
import { exportSpan } from "./exporter.ts";
import { buildSpan } from "./span-build.ts";
import { captureJson, captureStream } from "./stream-capture.ts";
import { parseTraceparent, randomId, type TraceContext } from "./traceparent.ts";
import type { AssembledChoice, TracedInference } from "./traced-inference.ts";
import type { Finisher, InferenceRecord } from "../inference/record.ts";

export const EXPERIMENT_HEADER = "x-mlflow-experiment-id";
/** How long the span waits for a full-capture tap to see the body's end (a cut body never does). */
const CAPTURE_WAIT_MS = 1_000;
/** How long the response may wait for the destination (to know whether to tap it); then it goes untapped. */
const DESTINATION_WAIT_MS = 1_000;

const within = <T>(p: Promise<T>, ms: number, otherwise: T): Promise<T> =>
  Promise.race([p, new Promise<T>((r) => setTimeout(() => r(otherwise), ms))]);

export class RequestTrace {
  readonly #destination: Promise<EdgeTracing | null>;
  readonly #parent: TraceContext | null;
  readonly #experimentId: string | null;
  readonly #body: Record<string, unknown>;
  readonly #assembler = new StreamAssembler();
  #output: AssembledChoice[] | null = null;
  #tapped = false;
  readonly #captured: Promise<void>;
  #captureEnded: () => void = () => undefined;

  private constructor(env: Env, request: Request, key: KeyRecord, version: number, body: Record<string, unknown>) {
    const experiment = request.headers.get(EXPERIMENT_HEADER);
    if (experiment !== null && !isExperimentId(experiment)) throw invalidRequest(`The '${EXPERIMENT_HEADER}' header must be an MLflow experiment id.`, EXPERIMENT_HEADER);
    this.#experimentId = experiment;
    this.#parent = parseTraceparent(request.headers.get("traceparent"), request.headers.get("tracestate"));
    this.#destination = destinationFor(env, key.project_id, version);
    this.#body = body;
    this.#captured = new Promise((r) => (this.#captureEnded = r));
  }

  /**
   * Null for a key whose project does not trace: the only cost such a request pays. The
   * destination lookup starts here, so it runs beside admission and the origin call.
   */
  static begin(env: Env, request: Request, key: KeyRecord, body: Record<string, unknown>): RequestTrace | null {
    return key.tracing === undefined ? null : new RequestTrace(env, request, key, key.tracing, body);
  }

  /** The response as it leaves: with capture "full", its body passes a tap that reads a copy. */
  async observe(res: Response): Promise<Response> {
    const d = await within(this.#destination, DESTINATION_WAIT_MS, null);
    if (d?.capture !== "full" || res.body === null) {
      this.#captureEnded();
      return res;
    }
    this.#tapped = true;
    const tap = isEventStream(res)
      ? captureStream(this.#assembler, this.#captureEnded)
      : captureJson((choices) => {
          this.#output = choices;
          this.#captureEnded();
        });
    return new Response(res.body.pipeThrough(tap), res);
  }

  /** The inference owner's finisher for this request. */
  finisher(model: ModelEntry): Finisher {
    const run = async (record: InferenceRecord, _env: Env, ctx: ExecutionContext): Promise<void> => {
      const d = await this.#destination;
      if (d === null) return;
      // An answer went out (200): wait for the tap to have read it, or for observe to have passed.
      if (d.capture === "full" && record.status === 200) await within(this.#captured, CAPTURE_WAIT_MS, undefined);
      const span = buildSpan(this.#traced(record, model, d.capture === "full"), d.capture, this.#parent, { traceId: randomId(16), spanId: randomId(8) });
      const destination = { endpoint: d.endpoint, experimentId: this.#experimentId ?? d.experimentId, authorization: d.authorization, projectId: record.projectId };
      exportSpan(ctx, destination, span);
    };
    return { name: "trace_span", run };
  }

  #traced(r: InferenceRecord, model: ModelEntry, full: boolean): TracedInference {
    const failed = r.status >= 400 && r.end !== "client_closed";
    const sse = this.#assembler.choices();
    return {
      ...r,
      provider: model.owned_by,
      pricing: model.pricing,
      error: failed ? { status: r.status, code: r.errorCode, message: `${r.status} ${r.errorCode ?? "error"}` } : null,
      body: full ? this.#body : null,
      output: full && this.#tapped ? (sse.length > 0 ? sse : this.#output) : null,
    };
  }
}
