// npm run admin -- <command> [flags]: the operators' helper for the management API, over
// HTTP with the admin token. `npm run admin -- help` lists the commands.

import { planCommand } from "./admin-commands.ts";

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

/** The router did not answer at all: say where we looked and how to start one. */
export class RouterUnreachableError extends Error {
  readonly url: string;
  constructor(url: string, reason: string) {
    super(
      `cannot reach the router at ${url} (${reason}). Start it with \`npm start\` (PORT=<port> npm start for another port), ` +
        "or point at a running one with --url or ROUTER_URL.",
    );
    this.url = url;
  }
}

/** Why fetch failed, from its cause (ECONNREFUSED, ENOTFOUND, ...), in a few words. */
function reasonOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

/** One management call; an OpenAI-shaped error becomes a ManagementError. A CSV answer comes back as text. */
export async function management(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(path, baseUrl), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new RouterUnreachableError(new URL(baseUrl).origin, reasonOf(err));
  }
  const text = await res.text();
  if (res.ok && res.headers.get("content-type")?.startsWith("text/csv")) return text;
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

/** Runs one command; returns the exit status (0 done, 1 refused or unreachable, 2 usage error). */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const plan = planCommand(argv, env, Math.floor(Date.now() / 1000));
  if (plan.kind === "help") {
    console.log(plan.text);
    return 0;
  }
  if (plan.kind === "usage-error") {
    console.error(plan.message);
    return 2;
  }
  try {
    const out = await management(plan.url, plan.token, plan.call.method, plan.call.path, plan.call.body);
    console.log(typeof out === "string" ? out.trimEnd() : JSON.stringify(out, null, 2));
    return 0;
  } catch (err) {
    console.error(`admin: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2), process.env);
