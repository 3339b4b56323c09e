import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../support/free-port.ts";

// `npm start` itself, as a new user meets it: a second one beside the running router.
const ROOT = fileURLToPath(new URL("../..", import.meta.url).href);
const scratch = mkdtempSync(join(tmpdir(), "eir-start-e2e-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [join(ROOT, "scripts/start.ts")], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, out, exited };
}

describe("npm start", () => {
  it("on a busy port fails at once in one clear line, and never says ready", async () => {
    const busy = new URL(inject("routerUrl")).port;
    const { out, exited } = start({ PORT: busy, SIM_ORIGIN_PORT: String(await freePort()), STATE_DIR: join(scratch, "busy") });
    expect(await exited).toBe(1);
    expect(out.stderr.trim()).toMatch(new RegExp(`^start: port ${busy} \\(PORT\\) is already in use[^\\n]*$`));
    expect(out.stdout).not.toContain("router ready");
  });

  it("follows the simulated origin from a relative CATALOG_FILE, prints the request log, and leaves no temporary folder", async () => {
    const [port, simPort] = [await freePort(), await freePort()];
    const tmp = mkdtempSync(join(scratch, "tmp-"));
    const key = `sk-eir-start${crypto.randomUUID().replaceAll("-", "")}`;
    // A private TMPDIR, so only this router's temporary folders are looked at.
    const { child, out, exited } = start({
      PORT: String(port), SIM_ORIGIN_PORT: String(simPort), STATE_DIR: join(scratch, "state"), TMPDIR: tmp,
      INIT_CWD: ROOT, CATALOG_FILE: "catalog/dev-catalog.json", DEMO_API_KEY: key, ADMIN_TOKEN: `start-e2e-admin-${crypto.randomUUID()}`,
    });
    try {
      for (let i = 0; i < 900 && !out.stdout.includes("router ready on"); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out.stdout, out.stderr).toContain(`router ready on http://127.0.0.1:${port}`);
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "llama-3.1-8b-instruct", messages: [{ role: "user", content: "hi" }], max_tokens: 3 }),
      });
      // The dev catalog names port 8790; the origin listens elsewhere and is reached.
      expect(res.status).toBe(200);
      expect(res.headers.get("x-origin-region")).toBe("eu-central");
      await res.text();
      for (let i = 0; i < 100 && !out.stdout.includes('"path":"/v1/chat/completions"'); i++) await new Promise((r) => setTimeout(r, 100));
      const line = out.stdout.split("\n").find((l) => l.includes('"path":"/v1/chat/completions"'));
      expect(JSON.parse(line ?? "null")).toMatchObject({ event: "request", status: 200, completion_tokens: 3, end: "complete" });
    } finally {
      process.kill(-child.pid!, "SIGTERM");
      await exited;
    }
    expect(readdirSync(tmp).filter((f) => f.startsWith("eir-kv-"))).toEqual([]);
  }, 120_000);
});
