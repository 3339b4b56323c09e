// The operator CLI's decisions before any network: help, usage errors, the URL and the calls it makes.

import { describe, expect, it } from "vitest";
import { planCommand, type Plan } from "../../scripts/admin-commands.ts";

const NOW = 1_800_000_000;
const env = { ADMIN_TOKEN: "admin-token-for-unit-tests" };
const plan = (argv: string[], e: Record<string, string | undefined> = env): Plan => planCommand(argv, e, NOW);
const call = (argv: string[], e: Record<string, string | undefined> = env) => {
  const p = plan(argv, e);
  if (p.kind !== "call") throw new Error(`expected a call, got ${JSON.stringify(p)}`);
  return p;
};
const usageError = (argv: string[], e: Record<string, string | undefined> = env): string => {
  const p = plan(argv, e);
  if (p.kind !== "usage-error") throw new Error(`expected a usage error, got ${JSON.stringify(p)}`);
  return p.message;
};

describe("admin CLI plan", () => {
  it("gives help for help, --help and -h, with no token set", () => {
    for (const argv of [["help"], ["--help"], ["-h"], ["list-keys", "--help"]]) {
      const p = plan(argv, {});
      expect(p.kind).toBe("help");
      expect(p.kind === "help" && p.text).toContain("update-key");
    }
  });

  it("names an unknown command and prints the usage, before asking for a token", () => {
    const msg = usageError(["frobnicate"], {});
    expect(msg).toContain("unknown command 'frobnicate'");
    expect(msg).toContain("usage: npm run admin");
    expect(msg).not.toContain("ADMIN_TOKEN or");
  });

  it("names a missing or stray flag with that command's usage line", () => {
    expect(usageError(["get-key", "--project", "proj_x"], {})).toContain("get-key needs --key");
    expect(usageError(["list-keys", "--project", "proj_x", "--name", "n"])).toContain("list-keys does not take --name");
    expect(usageError(["list-keys", "--project", "proj_x", "--bogus"])).toContain("unknown flag '--bogus'");
  });

  it("asks for the token only once the command is complete", () => {
    expect(usageError(["list-projects"], {})).toContain("set ADMIN_TOKEN or pass --token");
  });

  it("defaults to the router on $PORT, as npm start serves it", () => {
    expect(call(["list-projects"], { ...env, PORT: "18401" }).url).toBe("http://127.0.0.1:18401");
    expect(call(["list-projects"]).url).toBe("http://127.0.0.1:8787");
    expect(call(["list-projects"], { ...env, PORT: "18401", ROUTER_URL: "http://127.0.0.1:9" }).url).toBe("http://127.0.0.1:9");
    expect(call(["list-projects", "--url", "http://127.0.0.1:7"], { ...env, ROUTER_URL: "http://127.0.0.1:9" }).url).toBe("http://127.0.0.1:7");
    expect(call(["list-projects"], { ...env, ROUTER_URL: "", PORT: "" }).url).toBe("http://127.0.0.1:8787");
  });

  it("refuses a router URL that is not http(s) as a usage error", () => {
    expect(usageError(["list-projects", "--url", "127.0.0.1:8787"])).toContain("is not an http(s) URL");
  });

  it("reads and updates a key over the management API", () => {
    expect(call(["get-key", "--project", "proj_a", "--key", "key_b"]).call).toEqual({ method: "GET", path: "/v1/organization/projects/proj_a/api_keys/key_b" });
    expect(call(["update-key", "--project", "proj_a", "--key", "key_b", "--name", "ci", "--scopes", "inference,usage", "--models", "all", "--expires-at", "none"]).call).toEqual({
      method: "PATCH",
      path: "/v1/organization/projects/proj_a/api_keys/key_b",
      body: { name: "ci", scopes: ["inference", "usage"], models: null, expires_at: null },
    });
    expect(call(["update-key", "--project", "proj_a", "--key", "key_b", "--expires-at", "1900000000"]).call.body).toEqual({ expires_at: 1_900_000_000 });
  });

  it("reads one project's audit log, or every project's without --project", () => {
    expect(call(["audit", "--project", "proj_a", "--limit", "5"]).call).toEqual({ method: "GET", path: "/v1/organization/projects/proj_a/audit_logs?limit=5" });
    expect(call(["audit", "--limit", "5"]).call).toEqual({ method: "GET", path: "/v1/organization/audit_logs?limit=5" });
  });

  it("refuses an update that changes nothing or an expiry that is not a time", () => {
    expect(usageError(["update-key", "--project", "proj_a", "--key", "key_b"])).toContain("needs at least one of");
    expect(usageError(["update-key", "--project", "proj_a", "--key", "key_b", "--expires-at", "soon"])).toContain("--expires-at must be Unix seconds");
    expect(usageError(["create-key", "--project", "proj_a", "--name", "n", "--expires-at", "1e9"])).toContain("--expires-at must be Unix seconds");
  });

  it("reads usage for the last 7 days by default, so today is on the first page", () => {
    const url = new URL(call(["usage", "--project", "proj_a"]).call.path, "http://x");
    expect(url.pathname).toBe("/v1/organization/usage/completions");
    expect(Object.fromEntries(url.searchParams)).toEqual({ project_id: "proj_a", start_time: String(NOW - 6 * 86_400), bucket_width: "1d" });
    const csv = new URL(call(["usage", "--project", "proj_a", "--since", "1700000000", "--group-by", "model", "--csv"]).call.path, "http://x");
    expect(Object.fromEntries(csv.searchParams)).toMatchObject({ start_time: "1700000000", group_by: "model", format: "csv" });
  });
});
