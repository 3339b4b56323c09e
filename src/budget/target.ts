// Whose budget a management call is about: the project (and key) in its path, checked to
// exist and to be within the caller's reach, before any body is read.

import { authorize } from "../auth/permissions.ts";
import { denied, managementPrincipal, requireProject, type Principal } from "../projects/principal.ts";
import { projectStub, unwrap } from "../projects/wire.ts";
import type { AccessLog } from "../http/access-log.ts";

/** What it reads of a routed request: the path's ids and the log entry. */
type Routed = Request & { params: Record<string, string | undefined>; state: { log: AccessLog } };

export async function budgetTarget(request: Routed, env: Env): Promise<{ principal: Principal; projectId: string; keyId: string | null }> {
  const projectId = request.params.project_id ?? "";
  const keyId = request.params.key_id ?? null;
  // A key budget is part of that key: reading or changing it is acting on the key.
  const principal = await managementPrincipal(request, env, keyId === null ? "project_read" : "update");
  requireProject(principal, projectId);
  request.state.log.project_id = projectId;
  if (principal.kind === "key") request.state.log.key_id = principal.record.key_id;
  // The project (and key) must exist: a budget for nothing would never bind.
  if (keyId === null) {
    if ((await projectStub(env, projectId).getProject()) === null) unwrap({ ok: false, reason: "project_not_found" }, projectId);
  } else {
    const target = unwrap(await projectStub(env, projectId).getKey(keyId), projectId, keyId);
    // The permission rule: a key may act only on keys within its own grant.
    const denial = principal.kind === "key" ? authorize({ kind: "key", grant: principal.record }, "update", target, target) : null;
    if (denial !== null) throw denied(denial);
  }
  return { principal, projectId, keyId };
}
