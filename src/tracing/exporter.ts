// Sends queued spans to the customers' MLflow servers, off every request's critical path:
// spans wait in the isolate's queue (per destination, up to 1 s or 100 spans), a batch goes
// out gzipped in some request's ctx.waitUntil, each attempt under a timeout, retried a few
// times, then dropped with one counted log line that carries no content.

import { afterAttempt } from "./export-retry.ts";
import { encodeExport, encodeSpan, type Attributes, type OtlpSpan } from "./otlp-encode.ts";
import { DEFAULT_LIMITS, SpanQueue, type Batch, type QueueLimits, type QueueStats } from "./span-queue.ts";

export interface Destination {
  /** The tracking URI's /v1/traces. */
  endpoint: string;
  experimentId: string;
  /** The whole Authorization header value, or null. */
  authorization: string | null;
  /** For the drop log line only. */
  projectId: string;
}

export const EXPORT_TIMEOUT_MS = 5_000;
const RESOURCE: Attributes = [
  ["service.name", "edge-inference-router"],
  ["telemetry.sdk.language", "webjs"],
];
const SCOPE = { name: "edge-inference-router", version: "1" };

let queue = new SpanQueue<Destination>(DEFAULT_LIMITS);
let timeoutMs = EXPORT_TIMEOUT_MS;
/** When the scheduled flush will run; null if none is scheduled. */
let flushAt: number | null = null;

/** Tests shrink the limits and the timeout to watch the bounds; production never calls this. */
export function resetExporter(limits: QueueLimits = DEFAULT_LIMITS, exportTimeoutMs = EXPORT_TIMEOUT_MS): void {
  queue = new SpanQueue<Destination>(limits);
  timeoutMs = exportTimeoutMs;
  flushAt = null;
}

export const exporterStats = (): QueueStats => queue.stats();

const keyOf = (d: Destination): string => `${d.endpoint}\n${d.experimentId}\n${d.authorization ?? ""}`;

/**
 * Queues a span; never throws and never waits on the network. The flush it may schedule
 * runs in this request's waitUntil, so the response is not held.
 */
export function exportSpan(ctx: ExecutionContext, destination: Destination, span: OtlpSpan, now = Date.now()): void {
  let bytes: Uint8Array;
  try {
    bytes = encodeSpan(span);
  } catch {
    return;
  }
  if (!queue.add(keyOf(destination), destination, bytes, now)) {
    logDrop("queue_full", destination.projectId, 1);
    return;
  }
  schedule(ctx, now);
}

function schedule(ctx: ExecutionContext, now: number): void {
  const due = queue.nextDueAt();
  if (due === null || (flushAt !== null && flushAt <= due)) return;
  flushAt = due;
  const at = due;
  const wait = Math.max(0, due - now);
  ctx.waitUntil(
    (async () => {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (flushAt === at) flushAt = null;
      await flush(ctx, Date.now());
    })(),
  );
}

/** Sends what is due now; batches still waiting get a flush of their own scheduled. */
export async function flush(ctx: ExecutionContext, now: number, all = false): Promise<void> {
  const batches = queue.take(now, all);
  schedule(ctx, now);
  await Promise.all(batches.map((b) => deliver(b)));
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function attempt(d: Destination, body: Uint8Array): Promise<{ status: number | null; retryAfter: string | null }> {
  const headers: Record<string, string> = {
    "content-type": "application/x-protobuf",
    "content-encoding": "gzip",
    "x-mlflow-experiment-id": d.experimentId,
  };
  if (d.authorization !== null) headers.authorization = d.authorization;
  try {
    const res = await fetch(d.endpoint, { method: "POST", headers, body, signal: AbortSignal.timeout(timeoutMs) });
    // The answer (an ExportTraceServiceResponse) is not needed; reading it frees the connection.
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status, retryAfter: res.headers.get("retry-after") };
  } catch {
    return { status: null, retryAfter: null };
  }
}

/** Sends one batch with its retries; settles it in the queue whatever happens, then logs a drop. */
async function deliver(batch: Batch<Destination>): Promise<void> {
  const reason = await send(batch).catch(() => "encode_failed");
  queue.settle(batch, reason === null);
  if (reason !== null) logDrop(reason, batch.destination.projectId, batch.spans.length);
}

/** null when delivered, else why the batch is given up. */
async function send(batch: Batch<Destination>): Promise<string | null> {
  const body = await gzip(encodeExport(RESOURCE, SCOPE, batch.spans));
  for (let n = 1; ; n++) {
    const { status, retryAfter } = await attempt(batch.destination, body);
    const next = afterAttempt(status, n, retryAfter);
    if (next.kind === "delivered") return null;
    if (next.kind === "drop") return next.reason;
    await new Promise((r) => setTimeout(r, next.delayMs));
  }
}

/** One line per dropped batch or span: counts and the reason, never the spans, the URI or the credential. */
function logDrop(reason: string, projectId: string, spans: number): void {
  const s = queue.stats();
  console.log(JSON.stringify({ level: "warn", event: "trace_export_dropped", reason, project_id: projectId, spans, dropped_total: s.droppedFull + s.droppedFailed }));
}
