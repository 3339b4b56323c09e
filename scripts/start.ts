// npm start: the router on http://127.0.0.1:8787 with the dev catalog, a demo key and a
// simulated GPU origin, in one command.
//   PORT               router port (8787)
//   SIM_ORIGIN_PORT    simulated origin port (8790; 0 picks a free one)
//   SIM_ORIGIN_2_PORT  if set, a second simulated origin (region eu-west) on this port,
//                      added to every model of the dev catalog, to watch failover
//   CATALOG_FILE       another catalog, e.g. one pointing at your own vLLM (relative to where
//                      you run npm start); http://127.0.0.1:8790 in it means the simulated origin
//   INSPECTOR_PORT     workerd's devtools inspector port (default: a free one, printed)
//   DEMO_API_KEY       the demo key (default below)
//   STATE_DIR          where local KV and Durable Object state live (.wrangler/state)
//   ADMIN_TOKEN        the operators' management credential (local default below; never deploy it)
//   TRACING_KEY        seals the projects' MLflow credentials (local default below)
//   TRACE_RECEIVER     1: start a local MLflow-like trace receiver (TRACE_RECEIVER_PORT, default free)
//                      and trace the demo project into it (TRACE_CAPTURE: metadata or full)

import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { CATALOG_KEY } from "../src/storage/kv-keys.ts";
import type { Catalog } from "../src/catalog/types.ts";
import { startSimOrigin } from "../sim/origin.ts";
import { buildConsole } from "./console-build.ts";
import { DEMO_PROJECT_ID, ensureDemo } from "./demo-project.ts";
import { loadCatalogFile, putKv } from "./catalog-push.ts";
import { ROOT, spawnWrangler } from "./wrangler.ts";
import { startTraceReceiver } from "../test/support/trace-receiver.ts";

export const DEFAULT_DEMO_KEY = "sk-eir-demo-local-development-key-0000";
/** For local use only: anyone reading this file knows it. */
export const DEFAULT_ADMIN_TOKEN = "eir-local-admin-token-do-not-deploy";
const DEV_CATALOG = join(ROOT, "catalog/dev-catalog.json");
const DEV_ORIGIN = "http://127.0.0.1:8790";

const port = Number(process.env.PORT ?? 8787);
const simPort = Number(process.env.SIM_ORIGIN_PORT ?? 8790);
// npm runs scripts in the project's folder; a relative path means where the user typed it.
const userDir = process.env.INIT_CWD ?? process.cwd();
const catalogFile = process.env.CATALOG_FILE ? resolve(userDir, process.env.CATALOG_FILE) : DEV_CATALOG;
const demoKey = process.env.DEMO_API_KEY ?? DEFAULT_DEMO_KEY;
const stateDir = process.env.STATE_DIR ?? join(ROOT, ".wrangler/state");
const adminToken = process.env.ADMIN_TOKEN || DEFAULT_ADMIN_TOKEN;
if (adminToken.length < 16) {
  console.error("start: ADMIN_TOKEN must be at least 16 characters (the router admits nobody with a shorter one).");
  process.exit(2);
}

const sim2Port = process.env.SIM_ORIGIN_2_PORT;
const tracingKey = process.env.TRACING_KEY || "eir-local-tracing-key-do-not-deploy";
const receiver = process.env.TRACE_RECEIVER === "1" ? await startTraceReceiver({ port: Number(process.env.TRACE_RECEIVER_PORT ?? 0), log: (l) => console.log(l) }) : null;
// Until the router runs, a Ctrl-C exits at once (through "exit", so temporary files go too).
const exitEarly = (): void => process.exit(130);
process.once("SIGINT", exitEarly);
process.once("SIGTERM", exitEarly);
const inspectorPort = process.env.INSPECTOR_PORT ? Number(process.env.INSPECTOR_PORT) : await freePort();

// A port taken by another program (or another router) fails here, in one line, before
// anything starts: a readiness probe would otherwise greet the other program as ours.
for (const [name, p] of [["PORT", port], ["SIM_ORIGIN_PORT", simPort], ["SIM_ORIGIN_2_PORT", Number(sim2Port ?? 0)], ["INSPECTOR_PORT", inspectorPort]] as const) {
  if (p !== 0 && !(await isFree(p))) {
    console.error(`start: port ${p} (${name}) is already in use, perhaps by another npm start; stop that or set ${name} to a free port.`);
    process.exit(1);
  }
}

const sim = await startSimOrigin({ port: simPort, region: "eu-central" });
const sim2 = sim2Port === undefined ? null : await startSimOrigin({ port: Number(sim2Port), region: "eu-west" });
let catalog = loadCatalogFile(catalogFile) as Catalog;
if (sim.url !== DEV_ORIGIN) {
  // Catalogs name the simulated origin by its default address; follow it wherever it really listens.
  catalog = JSON.parse(JSON.stringify(catalog).replaceAll(DEV_ORIGIN, sim.url)) as Catalog;
}
if (catalogFile === DEV_CATALOG && sim2 !== null) {
  for (const m of catalog.models) {
    const first = m.origins[0];
    m.origins.push({ id: "sim-eu-2", url: `${sim2.url}/v1`, region: sim2.region, model: first?.model, continent: "EU", lat: 48.86, lon: 2.35 });
  }
}

// The console's static assets, served by the Worker at `/`.
await buildConsole();
await putKv([{ key: CATALOG_KEY, value: JSON.stringify(catalog) }], { remote: false, persistTo: stateDir });

const PASSED_VARS = ["BREAKER_FAILURES", "BREAKER_COOLDOWN_MS", "LIMITER_FAILURE_MODE", "MAX_BODY_BYTES"] as const;

const dev = spawnWrangler(
  [
    "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", stateDir, "--test-scheduled",
    "--inspector-port", String(inspectorPort),
    // "log": the Worker's own lines (the request log) reach this console; wrangler's chatter stays out.
    "--show-interactive-dev-session=false", "--log-level", "log", "--var", `ADMIN_TOKEN:${adminToken}`, "--var", `TRACING_KEY:${tracingKey}`,
    // Worker settings given in the environment override wrangler.toml's, for local experiments and tests.
    ...PASSED_VARS.flatMap((name) => (process.env[name] ? ["--var", `${name}:${process.env[name]}`] : [])),
  ],
  // Also in the environment, where wrangler looks for required secrets before it warns.
  { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ADMIN_TOKEN: adminToken, TRACING_KEY: tracingKey } },
);
forwardOutput(dev.stdout);

/** wrangler's banner is filtered out, and its "Ready" comes before the demo key exists: readiness is probed. */
async function announceWhenReady(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
    } catch {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    // The demo project and key go through the management API, like any other.
    try {
      await ensureDemo(`http://127.0.0.1:${port}`, adminToken, demoKey);
      if (receiver !== null) await traceDemoInto(receiver.url);
    } catch (err) {
      console.error(`start: could not create the demo project and key: ${(err as Error).message}`);
      return stop(1);
    }
    console.log(
      [
        "",
        `router ready on http://127.0.0.1:${port}`,
        `  simulated origin: ${sim.url} (region ${sim.region})`,
        ...(sim2 === null ? [] : [`  second origin:    ${sim2.url} (region ${sim2.region})`]),
        `  catalog:          ${catalogFile}`,
        `  inspector:        127.0.0.1:${inspectorPort} (devtools)`,
        `  demo key:         ${demoKey} (project ${DEMO_PROJECT_ID})`,
        `  admin token:      ${adminToken === DEFAULT_ADMIN_TOKEN ? `${adminToken} (local default; set ADMIN_TOKEN to change)` : "from ADMIN_TOKEN"}`,
        ...(receiver === null ? [] : [`  trace receiver:   ${receiver.url} (experiment 0; see ${receiver.url}/_recv/received?experiment=0)`]),
        "",
      ].join("\n"),
    );
    return;
  }
}
void announceWhenReady();

/** Points the demo project's tracing at the local receiver, as a customer would at their MLflow. */
async function traceDemoInto(url: string): Promise<void> {
  const capture = process.env.TRACE_CAPTURE === "full" ? "full" : "metadata";
  const res = await fetch(`http://127.0.0.1:${port}/v1/organization/projects/${DEMO_PROJECT_ID}/tracing`, {
    method: "PUT",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ tracking_uri: url, experiment_id: "0", capture }),
  });
  if (!res.ok) throw new Error(`tracing setup: ${res.status} ${await res.text()}`);
}

let stopping = false;
const stop = async (code: number): Promise<void> => {
  if (stopping) return;
  stopping = true;
  dev.kill("SIGTERM");
  await Promise.all([sim.close(), sim2?.close(), receiver?.close()]);
  process.exit(code);
};
dev.on("exit", (code) => void stop(code ?? 1));
process.off("SIGINT", exitEarly);
process.off("SIGTERM", exitEarly);
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

function isFree(p: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once("error", () => done(false));
    srv.listen(p, "127.0.0.1", () => srv.close(() => done(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port: p } = srv.address() as { port: number };
      srv.close(() => done(p));
    });
  });
}

/**
 * wrangler's stdout, less its own chatter (banner, bindings table, one info line per
 * request): what is left is the Worker's output, the request log among it, and warnings.
 */
function forwardOutput(out: NodeJS.ReadableStream | null): void {
  const chatter = /^(\s*⛅️|─+$|Using secrets|Your Worker has access|Binding\s|env\.\S+ \(|⎔ |\[wrangler:info\]|\s*$)/;
  let rest = "";
  out?.on("data", (d: Buffer) => {
    const lines = (rest + d.toString()).split("\n");
    rest = lines.pop() ?? "";
    const keep = lines.filter((l) => !chatter.test(l));
    if (keep.length > 0) process.stdout.write(`${keep.join("\n")}\n`);
  });
}
