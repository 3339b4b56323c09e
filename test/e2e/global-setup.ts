// Starts the router as a user would (`npm start`'s script) on free ports with its own
// state folder, waits until it answers, and hands its URL and demo key to the tests.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { freePort } from "../support/free-port.ts";

declare module "vitest" {
  export interface ProvidedContext {
    routerUrl: string;
    demoKey: string;
    simUrl: string;
    sim2Url: string;
    adminToken: string;
    traceReceiverUrl: string;
  }
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url).href);


function waitForReady(child: ChildProcess, log: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`router did not start:\n${log.join("")}`)), 90_000);
    const onData = (d: Buffer): void => {
      log.push(d.toString());
      if (log.join("").includes("router ready on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (d: Buffer) => log.push(d.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`router exited with ${code}:\n${log.join("")}`));
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [port, simPort, sim2Port, tracePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const stateDir = mkdtempSync(join(tmpdir(), "eir-e2e-"));
  const demoKey = `sk-eir-e2e${crypto.randomUUID().replaceAll("-", "")}`;
  const adminToken = `e2e-admin-${crypto.randomUUID()}`;
  const child = spawn(process.execPath, [join(ROOT, "scripts/start.ts")], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), SIM_ORIGIN_PORT: String(simPort), SIM_ORIGIN_2_PORT: String(sim2Port), STATE_DIR: stateDir, DEMO_API_KEY: demoKey, ADMIN_TOKEN: adminToken,
      // The demo project traces into npm start's local receiver, as a user would try it.
      TRACE_RECEIVER: "1", TRACE_RECEIVER_PORT: String(tracePort),
      // Short, so the failover file can watch a down origin being tried again soon.
      BREAKER_COOLDOWN_MS: "300" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const log: string[] = [];
  await waitForReady(child, log);
  project.provide("routerUrl", `http://127.0.0.1:${port}`);
  project.provide("demoKey", demoKey);
  project.provide("simUrl", `http://127.0.0.1:${simPort}`);
  project.provide("sim2Url", `http://127.0.0.1:${sim2Port}`);
  project.provide("adminToken", adminToken);
  project.provide("traceReceiverUrl", `http://127.0.0.1:${tracePort}`);
  return async () => {
    child.removeAllListeners("exit");
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    rmSync(stateDir, { recursive: true, force: true });
  };
}
