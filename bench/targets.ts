// The four things measured side by side: the simulated origin on its own (a separate
// Node process), and, in one workerd started by Miniflare, a bare pass-through Worker, the
// router floor (below) and the router as `wrangler deploy` bundles it, each on its own
// direct socket. The pieces are exported for bench:ab (ab.ts), which serves two routers in
// one workerd: the origin, wrangler's Miniflare, a router's worker entry and its seeding.

import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { management } from "../scripts/admin.ts";
import { DEMO_PROJECT_ID, ensureDemo } from "../scripts/demo-project.ts";
import { CATALOG_KEY } from "../src/storage/kv-keys.ts";
import { loadCatalogFile } from "../scripts/catalog-push.ts";
import { ROOT } from "../scripts/wrangler.ts";
import { findChild } from "./proc.ts";

export const BENCH_MODEL = "llama-3.1-8b-instruct";
export const BENCH_KEY = "sk-eir-bench-local-key-0000000000000000";
const DEV_CATALOG = join(ROOT, "catalog/dev-catalog.json");
const DEV_ORIGIN = "http://127.0.0.1:8790";
/** The origin's name for BENCH_MODEL in the dev catalog, as the router sends it. */
const ORIGIN_MODEL = "meta-llama/Llama-3.1-8B-Instruct";

/** Fetch and return, nothing else: the least any Worker in front of the origin pays. */
export const PASS_THROUGH = `export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.ORIGIN + url.pathname, request);
  },
};`;

/**
 * The router floor: the least any router that meters from the answer and logs a line per
 * request pays on this platform, so that the gap between it and the router is what the
 * router's own logic costs (key check, catalog, limiter, settlement, ledger), measured in
 * every run rather than claimed. It does only the steps no such router can skip: read the
 * request body whole and parse it, re-serialise it with the model renamed for the origin,
 * call the origin, read the answer, answer with headers shaped like the router's, and
 * write one access-log line with the router's fields. Nothing else: no auth, no catalog,
 * no limiter, no metering.
 *
 * A JSON answer is read whole (the usage is in it; the floor does not even parse it). A stream (the client asked for usage,
 * as the bench's streams do) is tee()d: the client's copy piped natively, the accounting
 * copy left to workerd's tee until the stream is over and then read in a few large reads,
 * keeping only its last two, where the usage event is. That is the least JavaScript any
 * router that meters from the stream can do, and more memory than the router may hold
 * (it cannot notice a stall either): a floor, not a design.
 */
const FLOOR = `const decoder = new TextDecoder();
const headersOf = (requestId, contentType) => ({
  "content-type": contentType ?? "application/json",
  "x-origin-region": "bench",
  "x-request-id": requestId,
  "x-ratelimit-limit-requests": "1000000000",
  "x-ratelimit-limit-tokens": "1000000000000",
  "x-ratelimit-remaining-requests": "999999999",
  "x-ratelimit-remaining-tokens": "999999999976",
  "x-ratelimit-reset-requests": "1ms",
  "x-ratelimit-reset-tokens": "1ms",
});
function logLine(requestId, request, path, asked, status, stream, usage, started, ttfb) {
  console.log(JSON.stringify({
    level: status >= 500 ? "error" : "info",
    event: "request",
    request_id: requestId,
    method: request.method,
    path,
    status,
    project_id: "proj_bench",
    key_id: "key_bench",
    model: typeof asked.model === "string" ? asked.model : null,
    served_model: "${ORIGIN_MODEL}",
    origin_region: "bench",
    stream,
    prompt_tokens: usage?.prompt_tokens ?? null,
    completion_tokens: usage?.completion_tokens ?? null,
    end: "complete",
    error_code: null,
    ttfb_ms: ttfb,
    total_ms: Date.now() - started,
  }));
}
/** The usage of an event stream from its last bytes: the last data event that has one. */
function usageOfTail(bytes) {
  const events = decoder.decode(bytes).split("\\n\\n");
  for (let i = events.length - 1; i >= 0; i--) {
    const ev = events[i];
    if (!ev.startsWith("data: {") || !ev.includes('"usage"')) continue;
    try {
      const usage = JSON.parse(ev.slice(6)).usage;
      if (usage) return usage;
    } catch {}
  }
  return null;
}
async function streamUsage(branch) {
  const reader = branch.getReader({ mode: "byob" });
  let prev = new Uint8Array(0);
  let last = new Uint8Array(0);
  for (;;) {
    const { done, value } = await reader.read(new Uint8Array(65536));
    if (done) break;
    prev = last;
    last = value;
  }
  const both = new Uint8Array(prev.length + last.length);
  both.set(prev);
  both.set(last, prev.length);
  return usageOfTail(both);
}
export default {
  async fetch(request, env, ctx) {
    const started = Date.now();
    const url = new URL(request.url);
    const requestId = "req_" + crypto.randomUUID().replaceAll("-", "");
    const asked = JSON.parse(decoder.decode(await request.arrayBuffer()));
    const body = JSON.stringify({ ...asked, model: "${ORIGIN_MODEL}" });
    const res = await fetch(env.ORIGIN + url.pathname, { method: "POST", headers: { "content-type": "application/json" }, body });
    const ttfb = Date.now() - started;
    const headers = headersOf(requestId, res.headers.get("content-type"));
    if (asked.stream === true && res.ok && res.body !== null) {
      const [toClient, toTap] = res.body.tee();
      const pass = new IdentityTransformStream();
      const piped = toClient.pipeTo(pass.writable);
      // A client that went away leaves no usage to read: cancelling the copy ends the origin's request.
      ctx.waitUntil(piped.then(() => streamUsage(toTap), () => toTap.cancel().then(() => null)).then((usage) => logLine(requestId, request, url.pathname, asked, res.status, true, usage, started, ttfb)));
      return new Response(pass.readable, { status: res.status, headers });
    }
    const bytes = await res.arrayBuffer();
    logLine(requestId, request, url.pathname, asked, res.status, false, { prompt_tokens: 8, completion_tokens: 16 }, started, ttfb);
    return new Response(bytes, { status: res.status, headers });
  },
};`;

export interface Targets {
  /** Base URLs; every target serves /v1/chat/completions. */
  direct: string;
  passThrough: string;
  /** The router floor (above). */
  floor: string;
  router: string;
  simPid: number;
  workerdPid: number;
  close(): Promise<void>;
}

/** The simulated origin in its own process, so that it never shares a core's event loop with the load generator. */
export async function startSim(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(ROOT, "sim/origin.ts"), "--port", "0", "--region", "bench"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`sim origin exited (${code}): ${out}`)));
  });
  child.stdout?.resume();
  // Never leave the origin running when the bench stops, however it stops.
  process.once("exit", () => child.kill("SIGTERM"));
  return { url, child };
}

/** The part of a running Miniflare the bench uses. */
export interface MiniflareInstance {
  ready: Promise<URL>;
  getKVNamespace(binding: string, worker: string): Promise<KVNamespace>;
  unsafeGetDirectURL(worker: string): Promise<URL>;
  dispose(): Promise<void>;
}

/** wrangler's own Miniflare, the version `wrangler dev` runs, not whichever a plugin hoisted. */
export interface MiniflareModule {
  Miniflare: new (opts: unknown) => MiniflareInstance;
  convertV4MiniflareOptions(opts: Record<string, unknown>): unknown;
}

export async function loadMiniflare(): Promise<MiniflareModule> {
  const fromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
  return (await import(fromWrangler.resolve("miniflare"))) as MiniflareModule;
}

/** The admin token the bench's routers are given: wrangler.toml's one required secret, as a placeholder. */
function adminToken(): string {
  // Set in the environment, so that wrangler does not warn about the missing secret on every run.
  process.env.ADMIN_TOKEN ??= "bench-admin-token-0123456789";
  return process.env.ADMIN_TOKEN;
}

/** What the router's entry takes from wrangler's worker options (Miniflare's v4 shape, which wrangler's types leave opaque). */
interface WranglerWorkerOptions {
  compatibilityDate?: string;
  compatibilityFlags?: string[];
  kvNamespaces?: Record<string, unknown>;
  durableObjects?: Record<string, unknown>;
  bindings?: Record<string, unknown>;
}

export interface RouterWorkerOptions {
  /** The Worker's name in Miniflare ("router"). */
  name?: string;
  /** The KV namespace id behind the KV binding (wrangler.toml's); give each router its own. */
  kvNamespaceId?: string;
  /** Compatibility flags on top of wrangler.toml's. */
  extraFlags?: readonly string[];
  /** The wrangler.toml to take bindings, compatibility date and flags from (the project's). */
  config?: string;
}

/**
 * The Miniflare worker entry for a router bundle built by `wrangler deploy --dry-run`:
 * bindings, compatibility date and flags exactly as wrangler.toml declares them, on its own
 * direct socket. Its Durable Objects belong to it, so two routers in one workerd share none.
 */
export function routerWorker(bundleFile: string, opts: RouterWorkerOptions = {}): Record<string, unknown> {
  const token = adminToken();
  const workerOptions = unstable_getMiniflareWorkerOptions(opts.config ?? join(ROOT, "wrangler.toml")).workerOptions as WranglerWorkerOptions;
  return {
    name: opts.name ?? "router",
    compatibilityDate: workerOptions.compatibilityDate,
    compatibilityFlags: [...new Set([...(workerOptions.compatibilityFlags ?? []), ...(opts.extraFlags ?? [])])],
    kvNamespaces: opts.kvNamespaceId === undefined ? workerOptions.kvNamespaces : { ...workerOptions.kvNamespaces, KV: { id: opts.kvNamespaceId } },
    durableObjects: workerOptions.durableObjects,
    modules: true,
    scriptPath: bundleFile,
    modulesRoot: dirname(bundleFile),
    bindings: { ...workerOptions.bindings, ADMIN_TOKEN: token },
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  };
}

/** One workerd serving `workers`, its output drained here, and that workerd's pid for CPU figures. */
export async function startWorkerd(workers: Array<Record<string, unknown>>, opts: { inspectorPort?: number } = {}): Promise<{ mf: MiniflareInstance; workerdPid: number }> {
  const { Miniflare, convertV4MiniflareOptions } = await loadMiniflare();
  // wrangler's options are in Miniflare's v4 shape; this Miniflare converts them itself.
  const mf = new Miniflare(convertV4MiniflareOptions({
    host: "127.0.0.1",
    port: 0,
    ...(opts.inspectorPort === undefined ? {} : { inspectorPort: opts.inspectorPort }),
    // Drain workerd's output here: printing a log line per request would load this process.
    handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
      stdout.resume();
      stderr.resume();
    },
    // The access log stays on (workerd still writes it, as in production) but is not
    // printed, except errors when BENCH_LOGS=errors, or every line when BENCH_LOGS=all.
    handleStructuredLogs({ message }: { message: string }) {
      const show = process.env.BENCH_LOGS;
      if (show === "all" || (show === "errors" && /"level":"(error|warn)"/.test(message))) process.stderr.write(`workerd: ${message}\n`);
    },
    workers,
  }));
  try {
    await mf.ready;
    const workerdPid = findChild(process.pid, "workerd");
    if (workerdPid === null) throw new Error("could not find the workerd process");
    return { mf, workerdPid };
  } catch (err) {
    await mf.dispose();
    throw err;
  }
}

/**
 * Seeds a router as `npm start` seeds it: the dev catalog pointed at the origin in its KV,
 * and the key created through the management API, so its project's object vouches for it;
 * then limits far above any load, so the limiter runs on every request (its cost is
 * measured) without refusing any. Returns the router's base URL.
 */
export async function seedRouter(mf: MiniflareInstance, worker: string, originUrl: string, budget = Number(process.env.BENCH_BUDGET ?? 0)): Promise<string> {
  const catalog = JSON.stringify(loadCatalogFile(DEV_CATALOG)).replaceAll(DEV_ORIGIN, originUrl);
  const kv = await mf.getKVNamespace("KV", worker);
  await kv.put(CATALOG_KEY, catalog);

  const router = (await mf.unsafeGetDirectURL(worker)).href.replace(/\/$/, "");
  const token = adminToken();
  await ensureDemo(router, token, BENCH_KEY);
  const roomy = { rpm: 1_000_000_000, tpm: 1_000_000_000_000 };
  const ids = (JSON.parse(catalog) as { models: Array<{ id: string }> }).models.map((m) => m.id);
  await management(router, token, "PATCH", `/v1/organization/projects/${DEMO_PROJECT_ID}`, {
    limits: Object.fromEntries(ids.map((id) => [id, roomy])),
  });
  // BENCH_BUDGET: a monthly budget for the demo project (far above the load), to measure what
  // enforcing one costs; a router without budgets (an older ref under bench:ab) runs without.
  if (budget > 0) {
    await management(router, token, "PUT", `/v1/organization/projects/${DEMO_PROJECT_ID}/budget`, { amount: budget }).catch((err: unknown) => console.log(`bench: no budget on this router (${String(err).slice(0, 80)})`));
    // What is measured must be the budgeted path: a response shows the budget it was held against.
    const res = await fetch(`${router}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${BENCH_KEY}`, "content-type": "application/json" }, body: JSON.stringify({ model: BENCH_MODEL, messages: [{ role: "user", content: "budget?" }] }) });
    await res.arrayBuffer();
    console.log(`bench: ${worker} x-budget-limit ${res.headers.get("x-budget-limit") ?? "absent"} (status ${res.status})`);
  }
  return router;
}

export async function startTargets(bundleFile: string, opts: { inspectorPort?: number } = {}): Promise<Targets> {
  const sim = await startSim();
  try {
    const router = routerWorker(bundleFile);
    // The other two Workers run on the router's compatibility date and flags.
    const compat = { compatibilityDate: router.compatibilityDate, compatibilityFlags: router.compatibilityFlags };
    const { mf, workerdPid } = await startWorkerd(
      [
        router,
        { name: "pass-through", modules: true, script: PASS_THROUGH, ...compat, bindings: { ORIGIN: sim.url }, unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] },
        { name: "floor", modules: true, script: FLOOR, ...compat, bindings: { ORIGIN: sim.url }, unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] },
      ],
      opts,
    );
    try {
      const routerUrl = await seedRouter(mf, "router", sim.url);
      const passThrough = (await mf.unsafeGetDirectURL("pass-through")).href.replace(/\/$/, "");
      const floor = (await mf.unsafeGetDirectURL("floor")).href.replace(/\/$/, "");
      if (sim.child.pid === undefined) throw new Error("could not find the origin process");
      return {
        direct: sim.url,
        passThrough,
        floor,
        router: routerUrl,
        simPid: sim.child.pid,
        workerdPid,
        async close() {
          await mf.dispose();
          sim.child.kill("SIGTERM");
        },
      };
    } catch (err) {
      await mf.dispose();
      throw err;
    }
  } catch (err) {
    sim.child.kill("SIGTERM");
    throw err;
  }
}
