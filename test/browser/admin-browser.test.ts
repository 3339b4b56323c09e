// The operator in the console: creates a project, suspends it (its keys stop working, for
// the API and for the console), activates it again, and sets limit overrides.

import { describe, expect, inject, it } from "vitest";
import { apiJson, chat, openPage, signIn, useBrowser, withPage } from "./support/console.ts";

const base = inject("routerUrl");
const admin = inject("adminToken");
const browser = useBrowser();

describe("the operators' view", () => {
  it("creates a project, suspends it so its keys stop working, and activates it again", () =>
    withPage(browser(), base, "admin-suspend", async ({ page }) => {
      const id = `proj_browser_admin_${crypto.randomUUID().slice(0, 8)}`;
      await signIn(page, admin);
      await openPage(page, "Projects");
      await page.getByRole("button", { name: "Create project" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Name").fill("Acme Browser");
      await dialog.getByLabel(/^Id/).fill(id);
      await dialog.getByRole("button", { name: "Create project" }).click();
      const row = page.getByTestId(`project-${id}`);
      await row.waitFor();
      expect(await row.textContent()).toContain("active");

      // A key of that project, made through the API, works.
      const key = await apiJson<{ value: string }>(base, admin, "POST", `/v1/organization/projects/${id}/api_keys`, { name: "app", scopes: ["inference", "keys"] });
      const ok = await chat(base, key.value);
      expect(ok.status).toBe(200);
      await ok.text();

      await page.getByRole("button", { name: "Suspend Acme Browser" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Suspend project" }).click();
      await expect.poll(() => row.textContent()).toContain("suspended");
      const refused = await chat(base, key.value);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("project_suspended");

      // Signing in with its key now says why it is refused.
      const other = await page.context().browser()!.newContext({ baseURL: base });
      const p2 = await other.newPage();
      await p2.goto("/");
      await p2.getByLabel("API key or admin token").fill(key.value);
      await p2.getByRole("button", { name: "Sign in" }).click();
      const alert = p2.getByRole("alert");
      await alert.waitFor();
      expect(await alert.textContent()).toContain("Project suspended");
      await other.close();

      await page.getByRole("button", { name: "Activate Acme Browser" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Activate project" }).click();
      await expect.poll(() => row.textContent()).toContain("active");
      await expect.poll(async () => {
        const res = await chat(base, key.value);
        await res.text();
        return res.status;
      }, { timeout: 10_000 }).toBe(200);

      // The audit log of the opened project shows both changes.
      await page.getByRole("button", { name: "Open Acme Browser" }).click();
      await expect.poll(() => page.getByTestId("current-project").textContent()).toBe(id);
      await openPage(page, "Audit log");
      const table = page.getByTestId("audit-table");
      await table.waitFor();
      const types = await table.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-type")));
      expect(types.slice(0, 4)).toEqual(["project.activated", "project.suspended", "api_key.created", "project.created"]);
    }));

  it("sets a project's limit overrides, which its keys then see in their headers", () =>
    withPage(browser(), base, "admin-limits", async ({ page }) => {
      const id = `proj_browser_limits_${crypto.randomUUID().slice(0, 8)}`;
      await apiJson(base, admin, "POST", "/v1/organization/projects", { id, name: "Limits Browser" });
      const key = await apiJson<{ value: string }>(base, admin, "POST", `/v1/organization/projects/${id}/api_keys`, { name: "app", scopes: ["inference"] });
      await signIn(page, admin);
      await openPage(page, "Projects");
      await page.getByLabel("Open by id").fill(id);
      await page.getByRole("button", { name: "Open", exact: true }).click();
      await expect.poll(() => page.getByTestId("current-project").textContent()).toBe(id);
      await openPage(page, "Projects");
      await page.getByRole("button", { name: "Edit limits of Limits Browser" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByRole("button", { name: "Add model" }).click();
      await dialog.getByLabel("Model id, row 1").fill("llama-3.1-8b-instruct");
      await dialog.getByLabel("Requests per minute, row 1").fill("1234");
      await dialog.getByLabel("Tokens per minute, row 1").fill("345678");
      await dialog.getByRole("button", { name: "Save limits" }).click();
      await dialog.waitFor({ state: "detached" });
      const project = await apiJson<{ limits: Record<string, { rpm: number; tpm: number }> }>(base, admin, "GET", `/v1/organization/projects/${id}`);
      expect(project.limits).toEqual({ "llama-3.1-8b-instruct": { rpm: 1234, tpm: 345678 } });
      await expect.poll(async () => {
        const res = await chat(base, key.value);
        await res.text();
        return res.headers.get("x-ratelimit-limit-requests");
      }, { timeout: 10_000 }).toBe("1234");

      // An unknown model is refused by the API, and the console says so.
      await page.getByRole("button", { name: "Edit limits of Limits Browser" }).click();
      await page.getByRole("dialog").getByLabel("Model id, row 1").fill("no-such-model");
      await page.getByRole("dialog").getByRole("button", { name: "Save limits" }).click();
      const alert = page.getByRole("dialog").getByRole("alert");
      await alert.waitFor();
      expect(await alert.textContent()).toContain("no-such-model");
    }));
});
