// Who is signed in: the credential (kept only in this tab's sessionStorage, never in a URL
// or cookie) and what it may do, found by asking the API itself.

import { ApiFailure, getJson, query, type Credential } from "./api.ts";
import type { ApiKey, AuditEvent, List, ModelCard, Project, UsagePage } from "./types.ts";

const STORE = "eir-console-credential";

export interface Identity {
  cred: Credential;
  /** A key's own project (null for the admin, who picks one). */
  project: Project | null;
  projectId: string | null;
  canKeys: boolean;
  canUsage: boolean;
  /** The key signed in, when the key list shows it. */
  keyId: string | null;
  /** The catalog as the key sees it; the admin token has no model access, so null. */
  models: ModelCard[] | null;
}

export const savedToken = (): string | null => sessionStorage.getItem(STORE);
export const forgetToken = (): void => sessionStorage.removeItem(STORE);

/** The hint the API shows for a secret (src/projects/changes.ts), to spot the key in use. */
export function redact(secret: string): string {
  const body = secret.slice("sk-eir-".length);
  return `sk-eir-${body.slice(0, 4)}...${body.slice(-4)}`;
}

const refusedFor = (f: unknown, codes: string[]): boolean => f instanceof ApiFailure && f.status === 403 && codes.includes(f.code ?? "");

async function allKeys(cred: Credential, projectId: string): Promise<ApiKey[]> {
  const out: ApiKey[] = [];
  let after: string | null = null;
  for (let i = 0; i < 5; i++) {
    const page: List<ApiKey> = await getJson(cred, `/v1/organization/projects/${encodeURIComponent(projectId)}/api_keys${query({ limit: 100, after })}`);
    out.push(...page.data);
    if (!page.has_more || page.last_id === null) break;
    after = page.last_id;
  }
  return out;
}

async function keyIdentity(cred: Credential): Promise<Identity> {
  const models = (await getJson<List<ModelCard>>(cred, "/v1/models", { probe: true })).data;
  const hourAgo = Math.floor(Date.now() / 1000) - 3600;
  const [audit, usage] = await Promise.all([
    getJson<List<AuditEvent>>(cred, "/v1/organization/audit_logs?limit=1", { probe: true }).catch((f: unknown) => {
      if (refusedFor(f, ["insufficient_scope"])) return null;
      throw f;
    }),
    getJson<UsagePage>(cred, `/v1/organization/usage/completions${query({ start_time: hourAgo, bucket_width: "1h", limit: 2, group_by: "project_id" })}`, { probe: true }).catch((f: unknown) => {
      if (refusedFor(f, ["insufficient_scope"])) return null;
      throw f;
    }),
  ]);
  if (audit === null && usage === null) {
    throw new ApiFailure("forbidden", "This key has neither the 'keys' nor the 'usage' scope, so there is nothing the console can show for it. Sign in with a management key or the admin token.", 403, "insufficient_scope");
  }
  // An hour back spans two hourly buckets; a request this minute is in the second.
  let projectId = audit?.data[0]?.project.id ?? usage?.data.flatMap((b) => b.results).find((r) => r.project_id)?.project_id ?? null;
  let project: Project | null = null;
  let keyId: string | null = null;
  if (audit !== null && projectId !== null) {
    project = await getJson<Project>(cred, `/v1/organization/projects/${encodeURIComponent(projectId)}`);
    const hint = redact(cred.token);
    keyId = (await allKeys(cred, projectId)).find((k) => k.redacted_value === hint)?.id ?? null;
    projectId = project.id;
  }
  return { cred, project, projectId, canKeys: audit !== null, canUsage: usage !== null, keyId, models };
}

/**
 * One probe tells the admin token from a key: the project list answers the admin, refuses a
 * valid key with 403, and a bad credential with 401.
 */
export async function signIn(token: string): Promise<Identity> {
  const cred: Credential = { kind: "admin", token: token.trim() };
  if (cred.token === "") throw new ApiFailure("invalid_key", "Enter an API key or the admin token.", 0, "missing_api_key");
  let identity: Identity;
  try {
    await getJson(cred, "/v1/organization/projects?limit=1", { probe: true });
    identity = { cred, project: null, projectId: null, canKeys: true, canUsage: true, keyId: null, models: null };
  } catch (f) {
    if (!refusedFor(f, ["admin_only", "insufficient_scope"])) throw f;
    identity = await keyIdentity({ kind: "key", token: cred.token });
  }
  sessionStorage.setItem(STORE, cred.token);
  return identity;
}
