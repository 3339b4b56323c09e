// The real peer beside the router: the Portkey AI gateway (open source, also built for
// Workers) on Node, installed on demand into the git-ignored bench/.peers/ (never into the
// project's lockfile), pinned to 1.15.2 with hono 4.9.7 and @hono/node-server 1.13.5 (with
// newer hono every streamed completion through it answers 500 "TypeError: immutable").
// Started on loopback only, pointed at the simulated origin by its custom-host headers.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../scripts/wrangler.ts";

const PEERS = join(ROOT, "bench/.peers");
const ENTRY = join(PEERS, "node_modules/@portkey-ai/gateway/build/start-server.js");
/** A nested copy here means the overrides did not hold (an install from before they existed). */
const NESTED = join(PEERS, "node_modules/@portkey-ai/gateway/node_modules/@hono/node-server");
const PINS = { "@portkey-ai/gateway": "1.15.2", hono: "4.9.7", "@hono/node-server": "1.13.5" };
const PACKAGES = Object.entries(PINS).map(([name, v]) => `${name}@${v}`);

export interface Peer {
  url: string;
  pid: number;
  /** Headers that make it forward to the simulated origin as an OpenAI-compatible host. */
  headers: Record<string, string>;
  close(): void;
}

/** Installs the peer if it is missing; returns why not if it cannot be. */
function ensureInstalled(say: (s: string) => void): string | null {
  if (existsSync(ENTRY) && !existsSync(NESTED)) return null;
  say(`installing the peer into bench/.peers: ${PACKAGES.join(" ")}`);
  // Exact pins, and overrides: without them the gateway pulls its own nested
  // @hono/node-server (1.19.x), and every streamed completion answers 500.
  // A stale tree or lock would keep the nested copy: start from nothing.
  rmSync(PEERS, { recursive: true, force: true });
  mkdirSync(PEERS, { recursive: true });
  writeFileSync(join(PEERS, "package.json"), JSON.stringify({ private: true, dependencies: PINS, overrides: PINS }, null, 2) + "\n");
  try {
    execFileSync("npm", ["install", "--prefix", PEERS, "--no-audit", "--no-fund", "--ignore-scripts"], { stdio: ["ignore", "ignore", "pipe"], timeout: 300_000 });
  } catch (err) {
    return `npm install failed: ${String(err).slice(0, 300)}`;
  }
  if (existsSync(NESTED)) return `the gateway still has its own @hono/node-server (${NESTED})`;
  return existsSync(ENTRY) ? null : `no ${ENTRY} after install`;
}

/** Starts Portkey on a free loopback port, or returns null (saying why) when it cannot. */
export async function startPeer(originUrl: string, say: (s: string) => void): Promise<Peer | null> {
  const missing = ensureInstalled(say);
  if (missing !== null) {
    say(`the Portkey peer cannot be installed (${missing}); running without it`);
    return null;
  }
  const child: ChildProcess = spawn(process.execPath, ["--import", join(ROOT, "bench/peer-loopback.ts"), ENTRY, "--port=0", "--headless"], {
    cwd: PEERS,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  process.once("exit", () => child.kill("SIGTERM"));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let err = "";
      const timer = setTimeout(() => reject(new Error(`no listening line in 20 s: ${err.slice(-500)}`)), 20_000);
      child.stderr?.on("data", (d: Buffer) => {
        err += d.toString();
        const m = /peer-listening (\S+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(`http://${m[1]}`);
        }
      });
      child.once("exit", (code) => reject(new Error(`exited (${code}): ${err.slice(-500)}`)));
    });
    child.stderr?.resume();
    if (child.pid === undefined) throw new Error("no pid");
    const pid = child.pid;
    return {
      url,
      pid,
      headers: { "x-portkey-provider": "openai", "x-portkey-custom-host": `${originUrl}/v1` },
      close: () => void child.kill("SIGTERM"),
    };
  } catch (err) {
    child.kill("SIGTERM");
    say(`the Portkey peer did not start (${String(err)}); running without it`);
    return null;
  }
}
