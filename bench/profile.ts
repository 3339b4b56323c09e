// npm run bench:profile: where the router's CPU goes. Runs the non-stream load against the
// router with V8's sampling profiler on, and prints the functions with the most self time.
//   BENCH_SECONDS      length of the profiled load (5)
//   BENCH_CONNECTIONS  concurrent connections (16)
//   PROFILE_OUT        also write the .cpuprofile here (open it in Chrome DevTools)
//   PROFILE_TARGET     router (default) or pass-through, for the floor to compare with

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBundles } from "./bundle.ts";
import { nonStream } from "./load.ts";
import { startTargets } from "./targets.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const INSPECTOR_PORT = 9329;
const TARGET = process.env.PROFILE_TARGET === "pass-through" ? "pass-through" : "router";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

class Inspector {
  #ws: WebSocket;
  #next = 1;
  #waiting = new Map<number, (v: unknown) => void>();
  constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener("message", (e) => {
      const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
      if (msg.id !== undefined) this.#waiting.get(msg.id)?.(msg.result);
    });
  }
  static async open(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.addEventListener("open", resolve);
      ws.addEventListener("error", reject);
    });
    return new Inspector(ws);
  }
  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) => this.#waiting.set(id, resolve as (v: unknown) => void));
  }
  close(): void {
    this.#ws.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), "router-profile-"));
const bundle = await buildBundles(dir);
const targets = await startTargets(bundle.file, { inspectorPort: INSPECTOR_PORT });
try {
  const list = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`)).json()) as Array<{ id: string; title: string; webSocketDebuggerUrl: string }>;
  const target = list.find((t) => t.title.includes(TARGET) || t.id.includes(TARGET));
  if (!target) throw new Error(`no ${TARGET} inspector target in ${JSON.stringify(list.map((t) => t.title))}`);
  const url = TARGET === "router" ? targets.router : targets.passThrough;
  await nonStream(url, 2, CONNECTIONS); // warm up: JIT, caches, leases
  const inspector = await Inspector.open(target.webSocketDebuggerUrl);
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
  await inspector.send("Profiler.start");
  const fig = await nonStream(url, SECONDS, CONNECTIONS);
  const { profile } = await inspector.send<{ profile: Profile }>("Profiler.stop");
  inspector.close();
  if (process.env.PROFILE_OUT) writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile));

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Built-ins have no script URL: charge them to the nearest script function that called them.
  const caller = (id: number): string => {
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
      const f = byId.get(p)!.callFrame;
      if (f.url) return ` <- ${f.functionName || "(anonymous)"}:${f.lineNumber + 1}`;
    }
    return "";
  };
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const f = n.callFrame;
    const file = f.url.split("/").pop() ?? "";
    const name = `${f.functionName || "(anonymous)"} ${file ? `${file}:${f.lineNumber + 1}` : caller(id)}`;
    self.set(name, (self.get(name) ?? 0) + dt);
  });
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40);
  console.log(`${fig.requests} requests in ${SECONDS} s (${fig.rps.toFixed(0)} req/s); ${(total / 1000).toFixed(0)} ms sampled`);
  const idle = self.get("(idle) ") ?? 0;
  console.log(`isolate busy ${((total - idle) / 1000 / fig.requests).toFixed(3)} ms per request`);
  for (const [name, us] of rows) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / fig.requests).toFixed(1).padStart(6)} us/req  ${name}`);
} finally {
  await targets.close();
  rmSync(dir, { recursive: true, force: true });
}
