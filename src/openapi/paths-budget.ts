// The budget endpoints: a project's monthly budget (the admin sets it), its keys' budgets
// (the admin or a `keys` key within its grant) and the webhook its alerts go to.

import { errors } from "./errors.ts";
import { ref, type Operation, type PathItem } from "./types.ts";

const ADMIN: Operation["security"] = [{ adminToken: [] }];
const ADMIN_OR_KEY: Operation["security"] = [{ adminToken: [] }, { apiKey: [] }];
const json = (schema: string) => ({ "application/json": { schema: ref("schemas", schema) } });
const ok = (description: string, schema: string) => ({ "200": { description, content: json(schema) } });
const body = (schema: string) => ({ required: true, content: json(schema) });

function op(operationId: string, summary: string, security: Operation["security"], rest: Pick<Operation, "responses" | "requestBody">): Operation {
  return { operationId, summary, tags: ["budgets"], security, ...rest };
}

const project = [ref("parameters", "ProjectId")];
const key = [ref("parameters", "ProjectId"), ref("parameters", "KeyId")];

export const budgetPaths: Record<string, PathItem> = {
  "/v1/organization/projects/{project_id}/budget": {
    parameters: project,
    get: op("getProjectBudget", "The project's budget, spend this month and its keys' budgets: the admin, or a key with the keys scope.", ADMIN_OR_KEY, { responses: { ...ok("The budget.", "ProjectBudget"), ...errors(401, 403, 404, 503) } }),
    put: op("setProjectBudget", "Set the project's monthly budget and alert thresholds (admin). Spend so far this month counts.", ADMIN, {
      requestBody: body("BudgetPut"),
      responses: { ...ok("The budget.", "ProjectBudget"), ...errors(400, 401, 403, 404, 413, 503) },
    }),
    delete: op("deleteProjectBudget", "Remove the project's budget (admin); its keys' budgets stay.", ADMIN, { responses: { ...ok("The project without a budget.", "ProjectBudget"), ...errors(401, 403, 404, 503) } }),
  },
  "/v1/organization/projects/{project_id}/api_keys/{key_id}/budget": {
    parameters: key,
    get: op("getApiKeyBudget", "One key's budget and spend this month.", ADMIN_OR_KEY, { responses: { ...ok("The budget.", "ApiKeyBudget"), ...errors(401, 403, 404, 503) } }),
    put: op("setApiKeyBudget", "Set a key's monthly budget, never above the project's (budget_above_project).", ADMIN_OR_KEY, {
      requestBody: body("BudgetPut"),
      responses: { ...ok("The budget.", "ApiKeyBudget"), ...errors(400, 401, 403, 404, 413, 503) },
    }),
    delete: op("deleteApiKeyBudget", "Remove a key's budget.", ADMIN_OR_KEY, { responses: { ...ok("The key without a budget.", "ApiKeyBudget"), ...errors(401, 403, 404, 503) } }),
  },
  "/v1/organization/projects/{project_id}/budget/webhook": {
    parameters: project,
    get: op("getBudgetWebhook", "Where the project's budget alerts go (never the secret).", ADMIN_OR_KEY, { responses: { ...ok("The webhook.", "BudgetWebhook"), ...errors(401, 403, 404, 503) } }),
    post: op("setBudgetWebhook", "Set the alert webhook; answers a new signing secret, once. Setting it again replaces the secret.", ADMIN_OR_KEY, {
      requestBody: body("BudgetWebhookSet"),
      responses: { ...ok("The webhook with its secret.", "BudgetWebhookWithSecret"), ...errors(400, 401, 403, 404, 413, 503) },
    }),
    delete: op("deleteBudgetWebhook", "Stop sending alerts.", ADMIN_OR_KEY, { responses: { ...ok("Deleted.", "BudgetWebhookDeleted"), ...errors(401, 403, 404, 503) } }),
  },
};
