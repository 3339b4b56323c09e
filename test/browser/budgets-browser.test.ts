// Budgets in the console: the admin sets a project's budget, a `keys` key sets a key's,
// the meters follow real spend, and a spent budget is shown with the insufficient_quota
// its requests get, not as a rate limit to wait out.

import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { api, apiJson, chat, newProject, openPage, signIn, useBrowser, withPage } from "./support/console.ts";

const base = inject("routerUrl");
const admin = inject("adminToken");
const browser = useBrowser();

interface Budget { limit: number | null; spent: number; api_keys: Array<{ api_key_id: string | null; limit: number | null; spent: number }> }
const budgetOf = (projectId: string): Promise<Budget> => apiJson<Budget>(base, admin, "GET", `/v1/organization/projects/${projectId}/budget`);

/** The meter's numbers, after a refresh of the page's data. */
async function meter(page: Page, testId: string): Promise<{ spent: number; remaining: number }> {
  await page.getByRole("button", { name: "Refresh" }).click();
  const m = page.getByTestId(testId);
  await m.waitFor();
  return { spent: Number(await m.getAttribute("data-spent")), remaining: Number(await m.getAttribute("data-remaining")) };
}

describe("budgets in the console", () => {
  it("admin sets the project's budget, a keys key a key's; spend shows; a spent budget is explained", async () => {
    const owner = await newProject(base, admin, "proj_browser_budget");
    const worker = await apiJson<{ id: string; value: string }>(base, admin, "POST", `/v1/organization/projects/${owner.projectId}/api_keys`, { name: "worker", scopes: ["inference", "usage"] });

    await withPage(browser(), base, "budget-admin", async ({ page }) => {
      await signIn(page, admin);
      await openPage(page, "Projects");
      await page.getByLabel("Open by id").fill(owner.projectId);
      await page.getByRole("button", { name: "Open", exact: true }).click();
      await openPage(page, "Budgets");
      await page.getByLabel(/^Monthly budget \(/).fill("5");
      await page.getByLabel("Alert thresholds (%)").fill("50, 90");
      await page.getByRole("button", { name: "Save budget" }).click();
      await expect.poll(async () => (await budgetOf(owner.projectId)).limit).toBe(5);
      await expect.poll(() => page.getByTestId("project-meter").textContent()).toContain("Alerts at 50 %, 90 %");
    });

    await withPage(browser(), base, "budget-key", async ({ page }) => {
      await signIn(page, owner.key);
      await expect.poll(() => page.getByTestId("current-project").textContent()).toBe(owner.projectId);
      await openPage(page, "Budgets");
      // A keys key reads the project's budget but may not set it.
      await page.getByTestId("project-meter").waitFor();
      expect(await page.getByRole("button", { name: "Save budget" }).count()).toBe(0);
      const row = page.getByTestId(`key-budget-${worker.id}`);
      await row.getByLabel(/^Monthly budget of worker/).fill("1");
      await row.getByRole("button", { name: "Set key budget" }).click();
      await expect.poll(async () => (await budgetOf(owner.projectId)).api_keys.find((k) => k.api_key_id === worker.id)?.limit).toBe(1);

      // One request of the worker: its meter moves once the spend is booked.
      const before = await meter(page, `key-meter-${worker.id}`);
      expect(before).toEqual({ spent: 0, remaining: 1 });
      const served = await chat(base, worker.value);
      expect(served.status).toBe(200);
      expect(served.headers.get("x-budget-limit")).toBe("1");
      await served.text();
      await expect.poll(async () => (await meter(page, `key-meter-${worker.id}`)).spent, { timeout: 10_000 }).toBeGreaterThan(0);
      const after = await meter(page, `key-meter-${worker.id}`);
      expect(after.remaining).toBeCloseTo(1 - after.spent, 6);
      expect(Number(await page.getByTestId("project-meter").getAttribute("data-spent"))).toBeCloseTo(after.spent, 6);

      // Lowered below what it spent: the worker's next request is refused, and the page says why.
      await row.getByLabel(/^Monthly budget of worker/).fill("0.000001");
      await row.getByRole("button", { name: "Set key budget" }).click();
      await expect.poll(() => row.getByTestId(`key-meter-${worker.id}-spent-out`).textContent()).toContain("insufficient_quota");
      const refused = await chat(base, worker.value);
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("insufficient_quota");
      const notice = (await row.getByTestId(`key-meter-${worker.id}-spent-out`).textContent()) ?? "";
      expect(notice).toContain("HTTP 429");
      expect(notice).not.toContain("Wait");
      // Raised again by the keys key: the notice goes, the next request is served.
      await row.getByLabel(/^Monthly budget of worker/).fill("1");
      await row.getByRole("button", { name: "Set key budget" }).click();
      await row.getByTestId(`key-meter-${worker.id}-spent-out`).waitFor({ state: "detached" });
      const again = await chat(base, worker.value);
      expect(again.status).toBe(200);
      await again.text();
    });

    expect((await api(base, owner.key, "GET", `/v1/organization/projects/${owner.projectId}/budget`)).status).toBe(200);
  });

  it("sets the alert webhook, shows its secret once, and deletes it", () =>
    withPage(browser(), base, "budget-webhook", async ({ page }) => {
      const owner = await newProject(base, admin, "proj_browser_hook");
      await signIn(page, owner.key);
      await expect.poll(() => page.getByTestId("current-project").textContent()).toBe(owner.projectId);
      await openPage(page, "Budgets");
      await page.getByTestId("webhook-none").waitFor();
      await page.getByLabel("Webhook URL").fill("https://example.com/budget-alerts");
      await page.getByRole("button", { name: "Set webhook" }).click();
      const secretBox = page.getByTestId("new-secret");
      await secretBox.waitFor();
      const secret = await secretBox.inputValue();
      expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
      expect(await page.getByRole("note").textContent()).toContain("shown only once");
      await page.getByRole("button", { name: "I have stored it safely" }).click();
      expect(await page.content()).not.toContain(secret);
      expect(await page.getByTestId("webhook-current").textContent()).toContain("https://example.com/budget-alerts");
      await page.getByRole("button", { name: "Delete webhook" }).click();
      await page.getByTestId("webhook-none").waitFor();
      expect((await api(base, owner.key, "GET", `/v1/organization/projects/${owner.projectId}/budget/webhook`)).status).toBe(404);
    }));
});
