// The local demo project and key, created through the management API so the project's
// Durable Object (the authority) knows them; safe to run again on persisted state.

import { management, ManagementError } from "./admin.ts";

export const DEMO_PROJECT_ID = "proj_demo";

const tolerate = (code: string) => (err: unknown) => {
  if (!(err instanceof ManagementError && err.code === code)) throw err;
};

export async function ensureDemo(baseUrl: string, adminToken: string, demoKey: string): Promise<void> {
  await management(baseUrl, adminToken, "POST", "/v1/organization/projects", { id: DEMO_PROJECT_ID, name: "Demo" }).catch(tolerate("project_exists"));
  // An operator may choose a key's secret; here it is DEMO_API_KEY.
  await management(baseUrl, adminToken, "POST", `/v1/organization/projects/${DEMO_PROJECT_ID}/api_keys`, {
    name: "demo",
    scopes: ["inference", "keys", "usage"],
    value: demoKey,
  }).catch(tolerate("api_key_exists"));
  // The key may exist in another project or be suspended from an earlier run: say so now.
  const res = await fetch(new URL("/v1/models", baseUrl), { headers: { authorization: `Bearer ${demoKey}` } });
  if (!res.ok) throw new Error(`the demo key is refused (HTTP ${res.status}: ${(await res.text()).slice(0, 200)})`);
}
