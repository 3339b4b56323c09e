// npm start: the router on http://127.0.0.1:8787 with the dev catalog, a demo key and a
// simulated GPU origin, in one command.
//   PORT               router port (8787)
//   SIM_ORIGIN_PORT    simulated origin port (8790; 0 picks a free one)
//   SIM_ORIGIN_2_PORT  if set, a second simulated origin (region eu-west) on this port,
//                      added to every model of the dev catalog, to watch failover
//   CATALOG_FILE       another catalog, e.g. one pointing at your own vLLM
//   DEMO_API_KEY       the demo key (default below)
//   STATE_DIR          where local KV and Durable Object state live (.wrangler/state)
//   ADMIN_TOKEN        the operators' management credential (local default below; never deploy it)

import { join } from "node:path";
import { CATALOG_KEY } from "../src/storage/kv-keys.ts";
import type { Catalog } from "../src/catalog/types.ts";
import { startSimOrigin } from "../sim/origin.ts";
import { buildConsole } from "./console-build.ts";
import { DEMO_PROJECT_ID, ensureDemo } from "./demo-project.ts";
import { loadCatalogFile, putKv } from "./catalog-push.ts";
import { ROOT, spawnWrangler } from "./wrangler.ts";

export const DEFAULT_DEMO_KEY = "sk-eir-demo-local-development-key-0000";
/** For local use only: anyone reading this file knows it. */
export const DEFAULT_ADMIN_TOKEN = "eir-local-admin-token-do-not-deploy";
const DEV_CATALOG = join(ROOT, "catalog/dev-catalog.json");
const DEV_ORIGIN = "http://127.0.0.1:8790";

const port = Number(process.env.PORT ?? 8787);
const simPort = Number(process.env.SIM_ORIGIN_PORT ?? 8790);
const catalogFile = process.env.CATALOG_FILE ?? DEV_CATALOG;
const demoKey = process.env.DEMO_API_KEY ?? DEFAULT_DEMO_KEY;
const stateDir = process.env.STATE_DIR ?? join(ROOT, ".wrangler/state");
const adminToken = process.env.ADMIN_TOKEN || DEFAULT_ADMIN_TOKEN;
if (adminToken.length < 16) {
  console.error("start: ADMIN_TOKEN must be at least 16 characters (the router admits nobody with a shorter one).");
  process.exit(2);
}

const sim2Port = process.env.SIM_ORIGIN_2_PORT;

const sim = await startSimOrigin({ port: simPort, region: "eu-central" });
const sim2 = sim2Port === undefined ? null : await startSimOrigin({ port: Number(sim2Port), region: "eu-west" });
let catalog = loadCatalogFile(catalogFile) as Catalog;
if (catalogFile === DEV_CATALOG && sim.url !== DEV_ORIGIN) {
  // The dev catalog names the default port; follow the origin wherever it really listens.
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
    "--show-interactive-dev-session=false", "--log-level", "warn", "--var", `ADMIN_TOKEN:${adminToken}`,
    // Worker settings given in the environment override wrangler.toml's, for local experiments and tests.
    ...PASSED_VARS.flatMap((name) => (process.env[name] ? ["--var", `${name}:${process.env[name]}`] : [])),
  ],
  // Also in the environment, where wrangler looks for required secrets before it warns.
  { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ADMIN_TOKEN: adminToken } },
);
dev.stdout?.on("data", (d: Buffer) => process.stdout.write(d));

/** wrangler's own banner is hidden at log level warn, so readiness is probed instead. */
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
        `  demo key:         ${demoKey} (project ${DEMO_PROJECT_ID})`,
        `  admin token:      ${adminToken === DEFAULT_ADMIN_TOKEN ? `${adminToken} (local default; set ADMIN_TOKEN to change)` : "from ADMIN_TOKEN"}`,
        "",
      ].join("\n"),
    );
    return;
  }
}
void announceWhenReady();

let stopping = false;
const stop = async (code: number): Promise<void> => {
  if (stopping) return;
  stopping = true;
  dev.kill("SIGTERM");
  await Promise.all([sim.close(), sim2?.close()]);
  process.exit(code);
};
dev.on("exit", (code) => void stop(code ?? 1));
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
