// npm run admin -- <command> [flags]: the operators' helper for the management API, over
// HTTP with the admin token. Run without a command for the list.

import { parseArgs } from "node:util";

export const DEFAULT_URL = "http://127.0.0.1:8787";

/** Plain fields, not parameter properties: Node runs this file by stripping types only. */
export class ManagementError extends Error {
  readonly status: number;
  readonly code: string | null;
  constructor(status: number, code: string | null, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** One management call; an OpenAI-shaped error becomes a ManagementError. */
export async function management(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ManagementError(res.status, null, `HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const err = (json as { error?: { message?: string; code?: string | null; param?: string | null } }).error;
    const param = err?.param ? ` (${err.param})` : "";
    throw new ManagementError(res.status, err?.code ?? null, `HTTP ${res.status}: ${err?.message ?? text}${param}`);
  }
  return json;
}

const USAGE = `usage: npm run admin -- <command> [flags]

  create-project  --name NAME [--id proj_...] [--limits '{"<model>":{"rpm":N,"tpm":N}}']
  list-projects   [--limit N] [--after PROJECT_ID]
  get-project     --project ID
  update-project  --project ID [--name NAME] [--limits JSON]
  suspend         --project ID
  activate        --project ID
  create-key      --project ID --name NAME [--scopes keys,inference,usage] [--models a,b] [--expires-at UNIX_SECONDS]
  list-keys       --project ID [--limit N] [--after KEY_ID]
  rotate-key      --project ID --key KEY_ID
  delete-key      --project ID --key KEY_ID
  audit           --project ID [--limit N] [--after AUDIT_ID] [--since UNIX_SECONDS]

  --url URL       the router (env ROUTER_URL, default ${DEFAULT_URL})
  --token TOKEN   the admin token (env ADMIN_TOKEN)`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const { values: f, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      project: { type: "string" },
      key: { type: "string" },
      name: { type: "string" },
      id: { type: "string" },
      limits: { type: "string" },
      scopes: { type: "string" },
      models: { type: "string" },
      "expires-at": { type: "string" },
      limit: { type: "string" },
      after: { type: "string" },
      since: { type: "string" },
    },
  });
  const [command] = positionals;
  if (command === undefined) fail(USAGE);
  const url = f.url ?? process.env.ROUTER_URL ?? DEFAULT_URL;
  const token = f.token ?? process.env.ADMIN_TOKEN;
  if (!token) fail("admin: set ADMIN_TOKEN or pass --token.");
  const need = (v: string | undefined, flag: string): string => v ?? fail(`admin: ${command} needs --${flag}.\n\n${USAGE}`);
  const json = (v: string, flag: string): unknown => {
    try {
      return JSON.parse(v);
    } catch {
      return fail(`admin: --${flag} is not valid JSON.`);
    }
  };
  const list = (v: string | undefined): string[] | undefined => v?.split(",").map((s) => s.trim()).filter(Boolean);
  const project = (): string => `/v1/organization/projects/${encodeURIComponent(need(f.project, "project"))}`;
  const query = (q: Record<string, string | undefined>): string => {
    const p = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined));
    return p.size > 0 ? `?${p}` : "";
  };
  const call = (method: string, path: string, body?: unknown) => management(url, token, method, path, body);

  let out: unknown;
  switch (command) {
    case "create-project":
      out = await call("POST", "/v1/organization/projects", { name: need(f.name, "name"), id: f.id, limits: f.limits && json(f.limits, "limits") });
      break;
    case "list-projects":
      out = await call("GET", `/v1/organization/projects${query({ limit: f.limit, after: f.after })}`);
      break;
    case "get-project":
      out = await call("GET", project());
      break;
    case "update-project":
      out = await call("PATCH", project(), { name: f.name, limits: f.limits && json(f.limits, "limits") });
      break;
    case "suspend":
    case "activate":
      out = await call("PATCH", project(), { status: command === "suspend" ? "suspended" : "active" });
      break;
    case "create-key":
      out = await call("POST", `${project()}/api_keys`, {
        name: need(f.name, "name"),
        scopes: list(f.scopes),
        models: list(f.models),
        expires_at: f["expires-at"] === undefined ? undefined : Number(f["expires-at"]),
      });
      break;
    case "list-keys":
      out = await call("GET", `${project()}/api_keys${query({ limit: f.limit, after: f.after })}`);
      break;
    case "rotate-key":
      out = await call("POST", `${project()}/api_keys/${encodeURIComponent(need(f.key, "key"))}/rotate`);
      break;
    case "delete-key":
      out = await call("DELETE", `${project()}/api_keys/${encodeURIComponent(need(f.key, "key"))}`);
      break;
    case "audit":
      out = await call("GET", `${project()}/audit_logs${query({ limit: f.limit, after: f.after, "effective_at[gte]": f.since })}`);
      break;
    default:
      fail(`admin: unknown command '${command}'.\n\n${USAGE}`);
  }
  console.log(JSON.stringify(out, null, 2));
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((err: unknown) => fail(`admin: ${err instanceof Error ? err.message : String(err)}`, 1));
}
