// /v1/organization/projects/{project_id}/budget/webhook: where the project's budget alerts
// go. The signing secret is shown once, when the webhook is set; setting it again makes a
// new secret.

import { actorOf } from "../projects/principal.ts";
import { budgetStub } from "../budget/admission.ts";
import { parseWebhookUrl } from "../budget/validate.ts";
import { toHex } from "../http/byte-text.ts";
import { jsonResponse } from "../http/json.ts";
import { codedError, type ApiError } from "../openai/errors.ts";
import type { RouterRequest } from "./context.ts";
import { budgetTarget } from "../budget/target.ts";
import { readManagementBody } from "../projects/management-input.ts";

const newSecret = (): string => {
  return `whsec_${toHex(crypto.getRandomValues(new Uint8Array(32)))}`;
};

const noWebhook = (): ApiError => codedError("webhook_not_found", "This project has no budget webhook.");

export async function setBudgetWebhook(request: RouterRequest, env: Env): Promise<Response> {
  const { principal, projectId } = await budgetTarget(request, env);
  const url = parseWebhookUrl(await readManagementBody(request));
  const secret = newSecret();
  const stub = budgetStub(env, projectId);
  await stub.setWebhook({ projectId, url, secret, actor: actorOf(principal) });
  const hook = await stub.webhook();
  return jsonResponse({ object: "organization.project.budget_webhook", project_id: projectId, url, created_at: hook?.created_at ?? null, secret });
}

export async function getBudgetWebhook(request: RouterRequest, env: Env): Promise<Response> {
  const { projectId } = await budgetTarget(request, env);
  const hook = await budgetStub(env, projectId).webhook();
  if (hook === null) throw noWebhook();
  return jsonResponse({ object: "organization.project.budget_webhook", project_id: projectId, url: hook.url, created_at: hook.created_at });
}

export async function deleteBudgetWebhook(request: RouterRequest, env: Env): Promise<Response> {
  const { principal, projectId } = await budgetTarget(request, env);
  if (!(await budgetStub(env, projectId).deleteWebhook({ projectId, actor: actorOf(principal) }))) throw noWebhook();
  return jsonResponse({ object: "organization.project.budget_webhook.deleted", project_id: projectId, deleted: true });
}
