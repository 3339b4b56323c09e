// `npm run admin` as an operator runs it: help without a token, clear usage errors, a down
// router named with how to start it, and keys and usage read and changed on the real router.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { freePort } from "../support/free-port.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url).href);
/** The CLI with a clean environment: only what each test gives it. */
const admin = (args: string[], env: Record<string, string> = {}) => {
  const clean: Record<string, string> = { PATH: process.env.PATH ?? "", ...env };
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/admin.ts"), ...args], { cwd: ROOT, encoding: "utf8", env: clean as NodeJS.ProcessEnv });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
const asAdmin = (args: string[]) => admin(args, { ADMIN_TOKEN: inject("adminToken"), ROUTER_URL: inject("routerUrl") });
const parsed = <T>(r: { status: number | null; stdout: string; stderr: string }): T => {
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as T;
};

describe("npm run admin", () => {
  it("prints help for --help, -h and help without a token, exit 0", () => {
    for (const flag of ["--help", "-h", "help"]) {
      const r = admin([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("usage: npm run admin -- <command>");
      expect(r.stderr).toBe("");
    }
  });

  it("names an unknown command, prints the usage and exits 2 without asking for a token", () => {
    const r = admin(["frobnicate"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect(r.stderr).toContain("usage: npm run admin");
    expect(r.stderr).not.toContain("ADMIN_TOKEN or");
  });

  it("says which URL it could not reach and how to start the router, exit 1, no stack", async () => {
    const port = await freePort();
    const r = admin(["list-projects"], { ADMIN_TOKEN: "admin-token-nobody-checks", PORT: String(port) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot reach the router at http://127.0.0.1:${port}`);
    expect(r.stderr).toContain("npm start");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("finds the router on $PORT when no URL is given", () => {
    const port = new URL(inject("routerUrl")).port;
    const out = parsed<{ object: string }>(admin(["get-project", "--project", "proj_demo"], { ADMIN_TOKEN: inject("adminToken"), PORT: port }));
    expect(out).toMatchObject({ object: "organization.project", id: "proj_demo" });
  });

  it("gets and updates a key, and an API refusal exits 1 with the router's message", () => {
    const project = parsed<{ id: string }>(asAdmin(["create-project", "--name", "cli-e2e"]));
    const key = parsed<{ id: string }>(asAdmin(["create-key", "--project", project.id, "--name", "cli", "--scopes", "inference"]));
    expect(parsed(asAdmin(["get-key", "--project", project.id, "--key", key.id]))).toMatchObject({ id: key.id, name: "cli", scopes: ["inference"] });
    const updated = parsed(asAdmin(["update-key", "--project", project.id, "--key", key.id, "--name", "cli-eu", "--scopes", "inference,usage", "--models", "llama-3.1-8b-instruct"]));
    expect(updated).toMatchObject({ id: key.id, name: "cli-eu", scopes: ["inference", "usage"], models: ["llama-3.1-8b-instruct"] });
    expect(parsed(asAdmin(["get-key", "--project", project.id, "--key", key.id]))).toMatchObject({ name: "cli-eu" });
    const missing = asAdmin(["get-key", "--project", project.id, "--key", "key_doesnotexist"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("HTTP 404");
  });

  it("reads usage, today included on the first page", async () => {
    const res = await fetch(`${inject("routerUrl")}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${inject("demoKey")}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "llama-3.1-8b-instruct", messages: [{ role: "user", content: "Hi." }], max_tokens: 2 }),
    });
    expect(res.status).toBe(200);
    await res.text();
    // Usage is booked once the request's settle batch lands.
    let page: { object: string; has_more: boolean; data: { results: { num_model_requests: number }[] }[] } | undefined;
    for (let i = 0; i < 50; i++) {
      page = parsed(asAdmin(["usage", "--project", "proj_demo", "--group-by", "model"]));
      if ((page?.data.at(-1)?.results.length ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(page?.object).toBe("page");
    expect(page?.has_more).toBe(false);
    expect(page?.data).toHaveLength(7);
    expect(page?.data.at(-1)?.results[0]?.num_model_requests).toBeGreaterThan(0);
    const csv = asAdmin(["usage", "--project", "proj_demo", "--csv"]);
    expect(csv.status).toBe(0);
    expect(csv.stdout.split("\n")[0]).toContain("start_time,end_time,project_id");
  });
});
