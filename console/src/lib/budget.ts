// The budget API as the console uses it: a project's and its keys' monthly budgets and the
// alert webhook, read and changed through /v1/organization/projects/{id}/budget….

import { ApiFailure, getJson, sendJson, type Credential } from "./api.ts";

export interface BudgetLine {
  limit: number | null;
  spent: number;
  held: number;
  leased: number;
  remaining: number | null;
  thresholds: number[];
}

export interface ProjectBudget extends BudgetLine {
  project_id: string;
  month: string;
  resets_at: number;
  currency: string;
  api_keys: Array<BudgetLine & { api_key_id: string | null }>;
}

export interface BudgetWebhook {
  url: string;
  created_at: number | null;
  secret?: string;
}

const projectPath = (projectId: string): string => `/v1/organization/projects/${encodeURIComponent(projectId)}/budget`;
const keyPath = (projectId: string, keyId: string): string => `/v1/organization/projects/${encodeURIComponent(projectId)}/api_keys/${encodeURIComponent(keyId)}/budget`;

export const getProjectBudget = (cred: Credential, projectId: string, signal?: AbortSignal): Promise<ProjectBudget> =>
  getJson<ProjectBudget>(cred, projectPath(projectId), signal ? { signal } : {});

export const setProjectBudget = (cred: Credential, projectId: string, amount: number, thresholds: number[]): Promise<unknown> =>
  sendJson(cred, "PUT", projectPath(projectId), { amount, thresholds });

export const deleteProjectBudget = (cred: Credential, projectId: string): Promise<unknown> => sendJson(cred, "DELETE", projectPath(projectId));

export const setKeyBudget = (cred: Credential, projectId: string, keyId: string, amount: number): Promise<unknown> =>
  sendJson(cred, "PUT", keyPath(projectId, keyId), { amount });

export const deleteKeyBudget = (cred: Credential, projectId: string, keyId: string): Promise<unknown> => sendJson(cred, "DELETE", keyPath(projectId, keyId));

/** The webhook, or null when the project has none (404 webhook_not_found). */
export async function getWebhook(cred: Credential, projectId: string): Promise<BudgetWebhook | null> {
  try {
    return await getJson<BudgetWebhook>(cred, `${projectPath(projectId)}/webhook`);
  } catch (f) {
    if (f instanceof ApiFailure && f.code === "webhook_not_found") return null;
    throw f;
  }
}

export const setWebhook = (cred: Credential, projectId: string, url: string): Promise<BudgetWebhook> => sendJson(cred, "POST", `${projectPath(projectId)}/webhook`, { url });
export const deleteWebhook = (cred: Credential, projectId: string): Promise<unknown> => sendJson(cred, "DELETE", `${projectPath(projectId)}/webhook`);

/** "50, 80, 100" -> [50, 80, 100]; null when any part is not a whole percentage. */
export function parseThresholds(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter((p) => p !== "");
  const nums = parts.map(Number);
  return nums.every((n) => Number.isInteger(n) && n >= 1 && n <= 100) ? nums : null;
}
