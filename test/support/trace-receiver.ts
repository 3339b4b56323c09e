// A stand-in for MLflow's OTLP endpoint (POST /v1/traces, MLflow 3.6+) that keeps its contract:
// 400 without x-mlflow-experiment-id, 415 for any content type but application/x-protobuf,
// 400 for a body that does not decode or has no resource_spans; gzip and deflate accepted;
// answers a protobuf ExportTraceServiceResponse. It decodes with the official proto
// definitions (test/support/otlp-decode.ts), not with the router's encoder.
//
// Control plane, per experiment id so parallel tests never share state:
//   GET  /_recv/received?experiment=ID  what arrived: spans, raw bodies (base64), headers, attempts
//   POST /_recv/config {experiment, status?, delayMs?, retryAfter?, requireAuth?}  misbehave for ID
//   POST /_recv/reset  forget everything

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync, inflateSync } from "node:zlib";
import { decodeExport, encodeExportResponse, type DecodedSpan } from "./otlp-decode.ts";

export interface ReceiverBehaviour {
  /** Answer this status instead of accepting (e.g. 500, 429, 413). */
  status?: number;
  /** Wait this long before answering (past the router's timeout: "slow"). */
  delayMs?: number;
  retryAfter?: string;
  /** Refuse with 401 unless Authorization equals this. */
  requireAuth?: string;
}

export interface Received {
  /** Every POST for the experiment, accepted or not. */
  attempts: number;
  spans: DecodedSpan[];
  /** The decompressed bodies, base64: a privacy test searches them for a marker. */
  bodies: string[];
  requests: { authorization: string | null; contentEncoding: string | null; contentType: string | null }[];
}

export interface TraceReceiver {
  url: string;
  close(): Promise<void>;
  received(experiment: string): Received;
}

const empty = (): Received => ({ attempts: 0, spans: [], bodies: [], requests: [] });

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function decompress(body: Buffer, encoding: string | undefined): Buffer {
  if (encoding === undefined || encoding === "identity") return body;
  if (encoding === "gzip") return gunzipSync(body);
  if (encoding === "deflate") return inflateSync(body);
  throw new Error(`unsupported content-encoding ${encoding}`);
}

export async function startTraceReceiver(opts: { port?: number; log?: (line: string) => void } = {}): Promise<TraceReceiver> {
  const byExperiment = new Map<string, Received>();
  const behaviour = new Map<string, ReceiverBehaviour>();
  const of = (id: string): Received => {
    let r = byExperiment.get(id);
    if (r === undefined) byExperiment.set(id, (r = empty()));
    return r;
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const url = new URL(req.url ?? "/", "http://x");
      const reply = (status: number, text: string, type = "application/json"): void => {
        res.writeHead(status, { "content-type": type });
        res.end(text);
      };
      if (url.pathname === "/_recv/received") return reply(200, JSON.stringify(of(url.searchParams.get("experiment") ?? "")));
      if (url.pathname === "/_recv/config") {
        const { experiment, ...b } = JSON.parse(body.toString()) as ReceiverBehaviour & { experiment: string };
        behaviour.set(experiment, b);
        return reply(200, "{}");
      }
      if (url.pathname === "/_recv/reset") {
        byExperiment.clear();
        behaviour.clear();
        return reply(200, "{}");
      }
      if (url.pathname !== "/v1/traces" || req.method !== "POST") return reply(404, '{"error":"not found"}');

      const experiment = req.headers["x-mlflow-experiment-id"];
      if (typeof experiment !== "string" || experiment === "") return reply(400, '{"error":"missing x-mlflow-experiment-id"}');
      const rec = of(experiment);
      rec.attempts++;
      const b = behaviour.get(experiment) ?? {};
      if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
      if (b.status !== undefined) {
        res.writeHead(b.status, { "content-type": "application/json", ...(b.retryAfter ? { "retry-after": b.retryAfter } : {}) });
        return res.end('{"error":"configured failure"}');
      }
      if (b.requireAuth !== undefined && req.headers.authorization !== b.requireAuth) return reply(401, '{"error":"unauthorized"}');
      if (req.headers["content-type"] !== "application/x-protobuf") return reply(415, '{"error":"content type must be application/x-protobuf"}');
      let spans: DecodedSpan[];
      let raw: Buffer;
      try {
        raw = decompress(body, req.headers["content-encoding"]);
        const decoded = decodeExport(raw);
        if (decoded.resourceSpans.length === 0) return reply(400, '{"error":"empty resource_spans"}');
        spans = decoded.resourceSpans.flatMap((rs) => rs.scopes.flatMap((s) => s.spans));
      } catch (err) {
        return reply(400, JSON.stringify({ error: `undecodable: ${(err as Error).message}` }));
      }
      rec.spans.push(...spans);
      rec.bodies.push(raw.toString("base64"));
      rec.requests.push({ authorization: req.headers.authorization ?? null, contentEncoding: req.headers["content-encoding"] ?? null, contentType: req.headers["content-type"] ?? null });
      for (const s of spans) opts.log?.(`trace-receiver: experiment ${experiment}: span "${s.name}" (${Object.keys(s.attributes).length} attributes)`);
      res.writeHead(200, { "content-type": "application/x-protobuf" });
      res.end(Buffer.from(encodeExportResponse()));
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: (id) => of(id),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
