// Simulated vLLM-style GPU origin speaking the OpenAI HTTP API, with scripted latency, failures and exact token accounting.
//
// Accounting rules (billing tests compare against these, so they are deliberately literal):
// - requests:         every POST to an inference path, counted on arrival (even if the body is bad).
// - promptTokens:     added once the TTFT delay has elapsed for a request whose fail mode generates
//                     (none, cut, stall_mid, the _declared ones, malformed) — i.e. prefill finished. Rule in protocol.ts.
// - completionTokens: token chunks handed to the socket (stream), or the full count when a
//                     non-stream body is written. Summed over choices when n > 1.
// - completed:        fail "none" responses that were fully written. Failures count in neither
//                     completed nor cancelled.
// - cancelled:        the client closed the connection before we finished (includes stalls the
//                     client gave up on); generation stops at once.
// - inFlight:         accepted requests whose response has not ended or been torn down.
// - byPath:           every request except /_sim/* control-plane calls.
// - connections:      TCP connections accepted (control-plane ones included).
//
// Behaviour per request = defaults < global (startup behaviour, then config() / POST /_sim/config
// patches merged field by field) < the request body's optional "sim" object. reset() zeroes the
// counters and restores the startup behaviour, health and the seen-model list.
// Non-stream timing: the body is sent after ttftMs + itlMs * (tokens - 1), as a real server would.
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_BEHAVIOUR, chatPromptTokens, errorBody, itemTokens, overlay, promptItems, sanitizeBehaviour } from "./protocol.ts";
import { embeddings, fail, send, sleep, stream, unary } from "./generate.ts";
import { gates } from "./gates.ts";
import type { Counters, Ctx, Kind } from "./generate.ts";
import type { ResolvedBehaviour, SimBehaviour } from "./protocol.ts";

export type { SimBehaviour, FailMode } from "./protocol.ts";
export { parseSseEvents, chatPromptTokens, promptItems, itemTokens } from "./protocol.ts";

export interface SimStats {
  requests: number;
  completed: number;
  cancelled: number;
  inFlight: number;
  promptTokens: number;
  completionTokens: number;
  byPath: Record<string, number>;
  connections: number;
}

export interface SimOrigin {
  url: string;
  port: number;
  region: string;
  config(b: SimBehaviour): void;
  reset(): void;
  stats(): SimStats;
  setHealthy(ok: boolean): void;
  close(): Promise<void>;
}

export interface SimOriginOptions {
  port?: number;
  host?: string;
  region?: string;
  behaviour?: SimBehaviour;
}

const INFERENCE: Record<string, Kind> = {
  "/v1/chat/completions": "chat",
  "/v1/completions": "completion",
  "/v1/embeddings": "embedding",
};

const MAX_BODY_BYTES = 32 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on("end", () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(null));
    req.on("close", () => resolve(null)); // no-op if 'end' already resolved
  });
}

function isObj(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

function optCount(body: Record<string, unknown>, key: string, min: number): number | undefined | string {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) return `${key} must be an integer >= ${min}`;
  return v;
}

export async function startSimOrigin(opts: SimOriginOptions = {}): Promise<SimOrigin> {
  const region = opts.region ?? "local";
  const initial = sanitizeBehaviour(opts.behaviour);
  if (typeof initial === "string") throw new Error(initial);
  let global: SimBehaviour = { ...initial };
  let healthy = true;
  let seq = 0;
  const models = new Set<string>();
  const live = new Set<Ctx>();
  const gate = gates();
  const fresh = (): Counters => ({ requests: 0, completed: 0, cancelled: 0, promptTokens: 0, completionTokens: 0, byPath: {}, connections: 0 });
  // Requests keep a reference to the counters they started under, so reset() is not polluted by stragglers.
  let st = fresh();

  const config = (b: SimBehaviour) => {
    const clean = sanitizeBehaviour(b);
    if (typeof clean === "string") throw new Error(clean);
    global = overlay(global, clean);
  };
  const reset = () => {
    st = fresh();
    global = { ...initial };
    healthy = true;
    models.clear();
    gate.clear();
  };
  const stats = (): SimStats => ({ ...st, byPath: { ...st.byPath }, inFlight: live.size });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader("x-sim-region", region);
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    const method = req.method ?? "GET";
    if (path.startsWith("/_sim/")) return control(req, res, path, method);
    st.byPath[path] = (st.byPath[path] ?? 0) + 1;

    if (path === "/health" && (method === "GET" || method === "HEAD")) {
      return send(res, healthy ? 200 : 503, JSON.stringify({ status: healthy ? "ok" : "unhealthy" }));
    }
    if (path === "/v1/models" && method === "GET") {
      const data = [...models].map((id) => ({ id, object: "model", created: 0, owned_by: "sim", root: id, parent: null, max_model_len: 8192 }));
      return send(res, 200, JSON.stringify({ object: "list", data }));
    }
    const kind = INFERENCE[path];
    if (!kind) return send(res, 404, errorBody(404, `Not found: ${method} ${path}`));
    if (method !== "POST") return send(res, 405, errorBody(405, `Method ${method} not allowed on ${path}`));

    const counters = st;
    counters.requests++;
    const raw = await readBody(req);
    if (raw === null) return send(res, 400, errorBody(400, "request body unreadable or too large"));
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return send(res, 400, errorBody(400, "request body is not valid JSON"));
    }
    if (!isObj(body)) return send(res, 400, errorBody(400, "request body must be a JSON object"));
    const override = sanitizeBehaviour(body.sim);
    if (typeof override === "string") return send(res, 400, errorBody(400, override, "sim"));
    const b = overlay(DEFAULT_BEHAVIOUR, global, override);
    return infer(kind, body, res, b, counters);
  }

  async function infer(kind: Kind, body: Record<string, unknown>, res: ServerResponse, b: ResolvedBehaviour, counters: Counters): Promise<void> {
    // ---- validate and size the job before anything becomes observable
    let promptTokens: number;
    let items: (string | number[])[] = [];
    if (kind === "chat") {
      if (!Array.isArray(body.messages) || body.messages.length === 0) {
        return send(res, 400, errorBody(400, "messages must be a non-empty array", "messages"));
      }
      promptTokens = chatPromptTokens(body.messages);
    } else {
      const key = kind === "completion" ? "prompt" : "input";
      const parsed = promptItems(body[key]);
      if (!parsed) return send(res, 400, errorBody(400, `${key} must be a string, an array of strings or token arrays`, key));
      items = parsed;
      promptTokens = items.reduce((n, it) => n + itemTokens(it), 0);
    }
    const n = optCount(body, "n", 1);
    const maxTokens = optCount(body, "max_tokens", 0);
    const maxCompletion = optCount(body, "max_completion_tokens", 0);
    for (const [v, p] of [[n, "n"], [maxTokens, "max_tokens"], [maxCompletion, "max_completion_tokens"]] as const) {
      if (typeof v === "string") return send(res, 400, errorBody(400, v, p));
    }
    const model = typeof body.model === "string" && body.model !== "" ? body.model : "sim-model";
    models.add(model);

    const ac = new AbortController();
    const ctx: Ctx = { res, st: counters, b, signal: ac.signal, outcome: null, seen: (count) => gate.seen(b.gate, count, ac.signal) };
    live.add(ctx);
    res.on("close", () => {
      if (ctx.outcome === null) {
        ctx.outcome = "cancelled";
        counters.cancelled++;
      }
      live.delete(ctx);
      ac.abort();
    });
    // 'close' may already have fired while the body was being read; it would not fire again.
    if (res.destroyed || !res.socket || res.socket.destroyed) res.emit("close");

    if (!(await sleep(b.ttftMs, ctx.signal))) return;
    if (b.fail === "status") return fail(ctx, () => send(res, b.status, errorBody(b.status, `simulated upstream failure (${b.status})`)));
    if (b.fail === "reset") return fail(ctx, () => res.socket?.destroy());
    if (b.fail === "stall") return; // hold the socket until the client gives up or the server closes
    counters.promptTokens += promptTokens;

    const id = `${kind === "chat" ? "chatcmpl" : kind === "completion" ? "cmpl" : "embd"}-sim-${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    if (kind === "embedding") return embeddings(ctx, id, model, items, promptTokens, body.encoding_format === "base64");

    const cap = (maxTokens as number | undefined) ?? (maxCompletion as number | undefined) ?? Infinity;
    const len = Math.min(b.tokens, cap);
    const reason = cap < b.tokens ? "length" : "stop";
    const choices = ((n as number | undefined) ?? 1) * (kind === "completion" ? items.length : 1);
    const job = { kind, id, created, model, len, reason, choices, promptTokens };
    if (body.stream === true) {
      const so = body.stream_options;
      return stream(ctx, job, isObj(so) && so.include_usage === true);
    }
    return unary(ctx, job);
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string, method: string): Promise<void> {
    if (path === "/_sim/stats" && method === "GET") return send(res, 200, JSON.stringify(stats()));
    if (method !== "POST") return send(res, 404, errorBody(404, `Not found: ${method} ${path}`));
    const raw = (await readBody(req)) ?? "";
    let body: unknown = {};
    try {
      if (raw.trim() !== "") body = JSON.parse(raw);
    } catch {
      return send(res, 400, errorBody(400, "request body is not valid JSON"));
    }
    if (path === "/_sim/reset") {
      reset();
      return send(res, 200, JSON.stringify({ ok: true }));
    }
    if (path === "/_sim/config") {
      const clean = sanitizeBehaviour(body);
      if (typeof clean === "string") return send(res, 400, errorBody(400, clean));
      global = overlay(global, clean);
      return send(res, 200, JSON.stringify(overlay(DEFAULT_BEHAVIOUR, global)));
    }
    if (path === "/_sim/gate") {
      if (!isObj(body) || typeof body.gate !== "string" || typeof body.seen !== "number") return send(res, 400, errorBody(400, 'expected {"gate": string, "seen": number}', "gate"));
      gate.report(body.gate, body.seen);
      return send(res, 200, JSON.stringify({ ok: true }));
    }
    if (path === "/_sim/health") {
      if (!isObj(body) || typeof body.healthy !== "boolean") return send(res, 400, errorBody(400, "expected {\"healthy\": boolean}", "healthy"));
      healthy = body.healthy;
      return send(res, 200, JSON.stringify({ healthy }));
    }
    return send(res, 404, errorBody(404, `Not found: ${method} ${path}`));
  }

  const server: Server = createServer({ noDelay: true, keepAliveTimeout: 30_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, errorBody(500, `sim origin bug: ${String(err)}`));
      else res.destroy();
    });
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  server.on("connection", () => void st.connections++);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? "127.0.0.1";
  const urlHost = host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    region,
    config,
    reset,
    stats,
    setHealthy: (ok: boolean) => {
      healthy = ok;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Stalled requests would otherwise keep close() pending forever.
        server.closeAllConnections();
      }),
  };
}

// ---- CLI ------------------------------------------------------------------------------------

function parseArgs(argv: string[]): SimOriginOptions {
  const opts: SimOriginOptions = { behaviour: {} };
  const b = opts.behaviour as Record<string, unknown>;
  const nums: Record<string, string> = { "--ttft-ms": "ttftMs", "--itl-ms": "itlMs", "--tokens": "tokens", "--status": "status", "--cut-after": "cutAfter" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const [flag = "", inline] = arg.split("=", 2);
    const val = () => inline ?? argv[++i] ?? "";
    if (flag === "--port") opts.port = Number(val());
    else if (flag === "--host") opts.host = val();
    else if (flag === "--region") opts.region = val();
    else if (flag === "--fail") b.fail = val();
    else if (nums[flag]) b[nums[flag]] = Number(val());
    else throw new Error(`unknown argument ${arg}`);
  }
  return opts;
}

if (import.meta.main) {
  const origin = await startSimOrigin(parseArgs(process.argv.slice(2)));
  console.log(`sim-origin listening on ${origin.url} (region ${origin.region})`);
  const stop = () => {
    origin.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
