// Runs the project's own wrangler (never a global one) with metrics off.

import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url).href);
const BIN = fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url).href);

export function spawnWrangler(args: string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    ...opts,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", ...opts.env },
  });
}

/** Runs wrangler to completion; rejects with its output when it fails. */
export function runWrangler(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnWrangler(args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`wrangler ${args.join(" ")} failed:\n${out}`))));
  });
}
