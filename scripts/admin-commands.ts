// The operator CLI's commands as a pure plan: argv and environment in, one management call
// (or help, or a usage error) out, so every refusal is decided before a token or a network.

import { parseArgs } from "node:util";

export type Flags = Record<string, string | boolean | undefined>;
export interface Call {
  method: string;
  path: string;
  body?: unknown;
}
export type Plan =
  | { kind: "help"; text: string }
  | { kind: "usage-error"; message: string }
  | { kind: "call"; url: string; token: string; call: Call };

interface Command {
  /** Flags shown in the usage line; a leading "?" marks an optional one. */
  flags: string[];
  /** Returns the call, or a usage error as a string. */
  build(f: Flags, nowS: number): Call | string;
}

const DAY_S = 86_400;
/** The router `npm start` runs, on the PORT it was started with. */
export const defaultUrl = (env: Record<string, string | undefined>): string => `http://127.0.0.1:${env.PORT || "8787"}`;

const str = (f: Flags, k: string): string | undefined => (typeof f[k] === "string" ? (f[k] as string) : undefined);
const list = (v: string | undefined): string[] | undefined => v?.split(",").map((s) => s.trim()).filter(Boolean);
const enc = (v: string | undefined): string => encodeURIComponent(v ?? "");
const projectPath = (f: Flags): string => `/v1/organization/projects/${enc(str(f, "project"))}`;
const keyPath = (f: Flags): string => `${projectPath(f)}/api_keys/${enc(str(f, "key"))}`;
const query = (q: Record<string, string | undefined>): string => {
  const p = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined));
  return p.size > 0 ? `?${p}` : "";
};

function json(v: string, flag: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return new SyntaxError(`--${flag} is not valid JSON`);
  }
}

/** `--models all` and `--expires-at none` clear the restriction; a number must be whole. */
function keyFields(f: Flags): Record<string, unknown> | string {
  const out: Record<string, unknown> = {};
  if (str(f, "name") !== undefined) out.name = str(f, "name");
  if (str(f, "scopes") !== undefined) out.scopes = list(str(f, "scopes"));
  const models = str(f, "models");
  if (models !== undefined) out.models = models === "all" ? null : list(models);
  const exp = str(f, "expires-at");
  if (exp !== undefined) {
    if (exp === "none") out.expires_at = null;
    else if (/^\d{1,12}$/.test(exp)) out.expires_at = Number(exp);
    else return "--expires-at must be Unix seconds or 'none'";
  }
  return out;
}

function limitsBody(f: Flags, base: Record<string, unknown>): Record<string, unknown> | string {
  const raw = str(f, "limits");
  if (raw === undefined) return base;
  const limits = json(raw, "limits");
  return limits instanceof SyntaxError ? limits.message : { ...base, limits };
}

const COMMANDS: Record<string, Command> = {
  "create-project": {
    flags: ["--name NAME", "?--id proj_...", `?--limits '{"<model>":{"rpm":N,"tpm":N}}'`],
    build: (f) => {
      const body = limitsBody(f, { name: str(f, "name"), id: str(f, "id") });
      return typeof body === "string" ? body : { method: "POST", path: "/v1/organization/projects", body };
    },
  },
  "list-projects": {
    flags: ["?--limit N", "?--after PROJECT_ID"],
    build: (f) => ({ method: "GET", path: `/v1/organization/projects${query({ limit: str(f, "limit"), after: str(f, "after") })}` }),
  },
  "get-project": { flags: ["--project ID"], build: (f) => ({ method: "GET", path: projectPath(f) }) },
  "update-project": {
    flags: ["--project ID", "?--name NAME", "?--limits JSON"],
    build: (f) => {
      const body = limitsBody(f, str(f, "name") === undefined ? {} : { name: str(f, "name") });
      if (typeof body === "string") return body;
      return Object.keys(body).length === 0 ? "update-project needs --name or --limits" : { method: "PATCH", path: projectPath(f), body };
    },
  },
  suspend: { flags: ["--project ID"], build: (f) => ({ method: "PATCH", path: projectPath(f), body: { status: "suspended" } }) },
  activate: { flags: ["--project ID"], build: (f) => ({ method: "PATCH", path: projectPath(f), body: { status: "active" } }) },
  "create-key": {
    flags: ["--project ID", "--name NAME", "?--scopes keys,inference,usage", "?--models a,b|all", "?--expires-at UNIX_SECONDS"],
    build: (f) => {
      const body = keyFields(f);
      return typeof body === "string" ? body : { method: "POST", path: `${projectPath(f)}/api_keys`, body };
    },
  },
  "list-keys": {
    flags: ["--project ID", "?--limit N", "?--after KEY_ID"],
    build: (f) => ({ method: "GET", path: `${projectPath(f)}/api_keys${query({ limit: str(f, "limit"), after: str(f, "after") })}` }),
  },
  "get-key": { flags: ["--project ID", "--key KEY_ID"], build: (f) => ({ method: "GET", path: keyPath(f) }) },
  "update-key": {
    flags: ["--project ID", "--key KEY_ID", "?--name NAME", "?--scopes LIST", "?--models a,b|all", "?--expires-at UNIX_SECONDS|none"],
    build: (f) => {
      const body = keyFields(f);
      if (typeof body === "string") return body;
      if (Object.keys(body).length === 0) return "update-key needs at least one of --name, --scopes, --models, --expires-at";
      return { method: "PATCH", path: keyPath(f), body };
    },
  },
  "rotate-key": { flags: ["--project ID", "--key KEY_ID"], build: (f) => ({ method: "POST", path: `${keyPath(f)}/rotate` }) },
  "delete-key": { flags: ["--project ID", "--key KEY_ID"], build: (f) => ({ method: "DELETE", path: keyPath(f) }) },
  // Without --project: every project's events, newest first (the organization's log).
  audit: {
    flags: ["?--project ID", "?--limit N", "?--after AUDIT_ID", "?--since UNIX_SECONDS"],
    build: (f) => ({
      method: "GET",
      path: `${str(f, "project") === undefined ? "/v1/organization" : projectPath(f)}/audit_logs${query({ limit: str(f, "limit"), after: str(f, "after"), "effective_at[gte]": str(f, "since") })}`,
    }),
  },
  usage: {
    flags: ["?--project ID", "?--since UNIX_SECONDS", "?--until UNIX_SECONDS", "?--bucket-width 1d|1h", "?--group-by model,api_key_id", "?--models a,b", "?--limit N", "?--page CURSOR", "?--csv"],
    build: (f, nowS) => {
      const width = str(f, "bucket-width") ?? "1d";
      // By default the last 7 daily (or 24 hourly) buckets, ending with the current one.
      const since = str(f, "since") ?? String(nowS - (width === "1h" ? 23 * 3600 : 6 * DAY_S));
      const q = {
        project_id: str(f, "project"),
        start_time: since,
        end_time: str(f, "until"),
        bucket_width: width,
        group_by: str(f, "group-by"),
        models: str(f, "models"),
        limit: str(f, "limit"),
        page: str(f, "page"),
        format: f.csv === true ? "csv" : undefined,
      };
      return { method: "GET", path: `/v1/organization/usage/completions${query(q)}` };
    },
  },
};

const flagName = (spec: string): string => spec.replace(/^\?/, "").split(" ")[0]!.slice(2);

const flagsText = (c: Command): string => c.flags.map((s) => (s.startsWith("?") ? `[${s.slice(1)}]` : s)).join(" ");
const usageLine = (name: string, c: Command): string => `  ${name.padEnd(15)} ${flagsText(c)}`;

export function usageText(env: Record<string, string | undefined>): string {
  return [
    "usage: npm run admin -- <command> [flags]",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => usageLine(name, c)),
    "  help            this text (also --help, -h)",
    "",
    `  --url URL       the router (env ROUTER_URL, default http://127.0.0.1:\${PORT:-8787}, now ${defaultUrl(env)})`,
    "  --token TOKEN   the admin token (env ADMIN_TOKEN)",
    "",
    "exit status: 0 done, 1 the router refused the call or could not be reached, 2 usage error",
  ].join("\n");
}

const OPTIONS = Object.fromEntries(
  ["url", "token", ...new Set(Object.values(COMMANDS).flatMap((c) => c.flags.map(flagName)))].map((n) => [n, { type: n === "csv" ? "boolean" : "string" }] as const),
);

export function planCommand(argv: string[], env: Record<string, string | undefined>, nowS: number): Plan {
  const usage = usageText(env);
  const error = (message: string): Plan => ({ kind: "usage-error", message: `admin: ${message}.\n\n${usage}` });
  let parsed: { values: Flags; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...OPTIONS, help: { type: "boolean", short: "h" } } });
  } catch (err) {
    const unknown = /^Unknown option '([^']+)'/.exec((err as Error).message);
    return error(unknown ? `unknown flag '${unknown[1]}'` : (err as Error).message.replace(/\.$/, ""));
  }
  const { values: f, positionals } = parsed;
  const [name, ...extra] = positionals;
  if (f.help === true || name === "help") return { kind: "help", text: usage };
  if (name === undefined) return error("name a command");
  const command = COMMANDS[name];
  if (command === undefined) return error(`unknown command '${name}'`);
  // Past the command name, a mistake gets that command's own line, not the whole list.
  const wrong = (message: string): Plan => ({
    kind: "usage-error",
    message: `admin: ${message}.\n\nusage: npm run admin -- ${name} ${flagsText(command)}\n(npm run admin -- help lists every command)`,
  });
  if (extra.length > 0) return wrong(`${name} takes no argument '${extra[0]}'`);
  const allowed = new Set(["url", "token", ...command.flags.map(flagName)]);
  const stray = Object.keys(f).find((k) => !allowed.has(k));
  if (stray !== undefined) return wrong(`${name} does not take --${stray}`);
  const missing = command.flags.filter((s) => !s.startsWith("?")).map(flagName).find((k) => f[k] === undefined);
  if (missing !== undefined) return wrong(`${name} needs --${missing}`);
  const call = command.build(f, nowS);
  if (typeof call === "string") return wrong(call);
  // An empty variable counts as unset, as in most shells' tools.
  const url = str(f, "url") || env.ROUTER_URL || defaultUrl(env);
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) return wrong(`the router URL '${url}' is not an http(s) URL (--url or ROUTER_URL)`);
  const token = str(f, "token") || env.ADMIN_TOKEN;
  if (!token) return { kind: "usage-error", message: "admin: set ADMIN_TOKEN or pass --token (npm start prints the local one)." };
  return { kind: "call", url, token, call };
}
