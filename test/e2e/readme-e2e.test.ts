// The README's examples, run as written: every shell block marked `<!-- runnable -->`, in
// order, in one bash, against `npm start`'s router. Only the local key and token are swapped
// for this router's own, and PORT points at it, as the README tells a reader to do.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url).href);
const README = readFileSync(join(ROOT, "README.md"), "utf8");
/** npm start's local defaults, as the README prints them. */
const LOCAL_KEY = "sk-eir-demo-local-development-key-0000";
const LOCAL_ADMIN_TOKEN = "eir-local-admin-token-do-not-deploy";
const hasTools = ["bash", "curl", "jq"].every((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0);

function runnableBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/<!-- runnable -->\n```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe("the README", () => {
  it("marks its walkthrough runnable and names npm start's local key and token", () => {
    expect(runnableBlocks(README).length).toBeGreaterThanOrEqual(5);
    expect(README).toContain(`KEY=${LOCAL_KEY}`);
    expect(README).toContain(`ADMIN_TOKEN=${LOCAL_ADMIN_TOKEN}`);
  });

  it.skipIf(!hasTools)("runs every runnable example as written, without an error", { timeout: 120_000 }, () => {
    const script = runnableBlocks(README).join("\n").replaceAll(LOCAL_KEY, inject("demoKey")).replaceAll(LOCAL_ADMIN_TOKEN, inject("adminToken"));
    // A scratch folder as the reader's shell (usage.csv lands there); npm still runs this repo's scripts.
    const cwd = mkdtempSync(join(tmpdir(), "eir-readme-"));
    const prelude = `npm() { command npm --prefix ${JSON.stringify(ROOT)} "$@"; }\n`;
    const r = spawnSync("bash", ["-euo", "pipefail", "-c", prelude + script], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, PORT: new URL(inject("routerUrl")).port, ROUTER_URL: "", ADMIN_TOKEN: "" },
      timeout: 110_000,
    });
    rmSync(cwd, { recursive: true, force: true });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status, output.slice(-4000)).toBe(0);
    expect(output).not.toContain('"error"');
    expect(output).toContain("start_time,end_time,project_id"); // the CSV export, the last step, landed
  });
});
