// A project owner in the console: creates a key and reads its secret once, uses it through
// the API, watches the usage totals become exactly the usage API's, then rotates and deletes
// the key and finds both in the audit log.

import { describe, expect, inject, it } from "vitest";
import { api, apiJson, chat, newProject, openPage, signIn, useBrowser, withPage } from "./support/console.ts";

const base = inject("routerUrl");
const admin = inject("adminToken");
const browser = useBrowser();

interface UsagePage { data: Array<{ results: Array<{ num_model_requests: number; input_tokens: number; output_tokens: number; amount: { value: number }; api_key_id: string | null }> }> }

/** What the usage API itself says for a range, summed the plain way. */
async function apiTotals(key: string, start: string, end: string) {
  const page = await apiJson<UsagePage>(base, key, "GET", `/v1/organization/usage/completions?start_time=${start}&end_time=${end}&bucket_width=1h&limit=168&group_by=api_key_id`);
  const rows = page.data.flatMap((b) => b.results);
  return {
    requests: rows.reduce((s, r) => s + r.num_model_requests, 0),
    input: rows.reduce((s, r) => s + r.input_tokens, 0),
    output: rows.reduce((s, r) => s + r.output_tokens, 0),
    cost: Math.round(rows.reduce((s, r) => s + Math.round(r.amount.value * 1e6), 0)) / 1e6,
  };
}

describe("keys, usage and audit in the console", () => {
  it("creates a key, shows its secret once, meters its use, rotates and deletes it", () =>
    withPage(browser(), base, "keys-lifecycle", async ({ page }) => {
      const owner = await newProject(base, admin, "proj_browser_keys");
      await signIn(page, owner.key);
      await expect.poll(() => page.getByTestId("current-project").textContent()).toBe(owner.projectId);

      // Create: name, scopes, one model, an expiry; the secret is shown once.
      await openPage(page, "API keys");
      await page.getByRole("button", { name: "Create key" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Name").fill("batch worker");
      await dialog.getByLabel(/^usage/).check();
      await dialog.getByLabel("Only these models").check();
      await dialog.getByLabel("llama-3.1-8b-instruct").check();
      await dialog.getByLabel(/^Expires/).fill("2030-12-31T12:00");
      await dialog.getByRole("button", { name: "Create key" }).click();
      const secretBox = page.getByTestId("new-secret");
      await secretBox.waitFor();
      const secret = await secretBox.inputValue();
      expect(secret).toMatch(/^sk-eir-[A-Za-z0-9_-]{20,}$/);
      await expect.poll(() => page.getByRole("dialog").textContent()).toContain("shown only once");
      await page.getByRole("button", { name: "I have stored it safely" }).click();
      const row = page.locator("tr", { hasText: "batch worker" });
      await row.waitFor();
      expect(await row.textContent()).toContain("llama-3.1-8b-instruct");
      // Once closed, the secret is nowhere on the page, in the URL or in a cookie.
      expect(await page.content()).not.toContain(secret);
      expect(page.url()).not.toContain(secret);
      expect(await page.context().cookies()).toEqual([]);

      // Its record is what the form asked for.
      const keys = await apiJson<{ data: Array<{ id: string; name: string; scopes: string[]; models: string[] | null; expires_at: number | null }> }>(base, owner.key, "GET", `/v1/organization/projects/${owner.projectId}/api_keys`);
      const made = keys.data.find((k) => k.name === "batch worker")!;
      expect(made.scopes.sort()).toEqual(["inference", "usage"]);
      expect(made.models).toEqual(["llama-3.1-8b-instruct"]);
      expect(made.expires_at).toBeGreaterThan(1_900_000_000);

      // Usage before, through the console.
      await openPage(page, "Usage");
      await page.locator("select[name=preset]").selectOption("24h");
      await page.getByText("Key", { exact: true }).click();
      const totals = page.getByTestId("usage-totals");
      await totals.waitFor();
      const before = Number(await page.getByTestId("total-requests").getAttribute("data-value"));

      // Use the key through the API, and wait until the usage API has booked both requests.
      for (let i = 0; i < 2; i++) {
        const res = await chat(base, secret);
        expect(res.status).toBe(200);
        await res.text();
      }
      const start = (await totals.getAttribute("data-start"))!;
      const end = String(Math.floor(Date.now() / 1000) + 60);
      await expect.poll(async () => (await apiTotals(owner.key, start, end)).requests, { timeout: 10_000 }).toBe(before + 2);
      const expected = await apiTotals(owner.key, start, end);

      await page.getByRole("button", { name: "Refresh" }).click();
      await expect.poll(async () => Number(await page.getByTestId("total-requests").getAttribute("data-value"))).toBe(expected.requests);
      const shown = {
        requests: Number(await page.getByTestId("total-requests").getAttribute("data-value")),
        input: Number(await page.getByTestId("total-input").getAttribute("data-value")),
        output: Number(await page.getByTestId("total-output").getAttribute("data-value")),
        cost: Number(await page.getByTestId("total-cost").getAttribute("data-value")),
      };
      expect(shown).toEqual(expected);
      expect(expected.input).toBeGreaterThan(0);
      // The visible numbers are those, and the chart and the per-key table show the key by name.
      expect(await page.getByTestId("total-input").textContent()).toBe(expected.input.toLocaleString("en"));
      expect(await page.locator(".chart canvas").count()).toBe(3);
      expect(await page.getByTestId("usage-by-group").textContent()).toContain(`batch worker (${made.id})`);

      // Rotate: a new secret, once; the old one stops working.
      await openPage(page, "API keys");
      await page.getByRole("button", { name: "Rotate batch worker" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Rotate key" }).click();
      await page.getByTestId("new-secret").waitFor();
      const rotated = await page.getByTestId("new-secret").inputValue();
      expect(rotated).not.toBe(secret);
      await page.getByRole("button", { name: "I have stored it safely" }).click();
      expect((await chat(base, secret)).status).toBe(401);
      const again = await chat(base, rotated);
      expect(again.status).toBe(200);
      await again.text();

      // Delete, after a confirmation; the key is gone and refused.
      await page.getByRole("button", { name: "Delete batch worker" }).click();
      await expect.poll(() => page.getByRole("dialog").textContent()).toContain("cannot be undone");
      await page.getByRole("dialog").getByRole("button", { name: "Delete key" }).click();
      await page.locator("tr", { hasText: "batch worker" }).waitFor({ state: "detached" });
      expect((await chat(base, rotated)).status).toBe(401);

      // The audit log shows creation, rotation and deletion, and filters by type.
      await openPage(page, "Audit log");
      const table = page.getByTestId("audit-table");
      await table.waitFor();
      const types = await table.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-type")));
      expect(types.slice(0, 3)).toEqual(["api_key.deleted", "api_key.rotated", "api_key.created"]);
      expect(await table.textContent()).toContain(made.id);
      await page.locator("select[name=type]").selectOption("api_key.rotated");
      await page.getByRole("button", { name: "Apply" }).click();
      await expect.poll(() => table.locator("tbody tr").count()).toBe(1);
      expect(await table.locator("tbody tr").getAttribute("data-type")).toBe("api_key.rotated");
    }));

  it("edits a key's name and scopes and exports the audit log as JSON", () =>
    withPage(browser(), base, "keys-edit-export", async ({ page }) => {
      const owner = await newProject(base, admin, "proj_browser_edit");
      const k = await apiJson<{ id: string }>(base, owner.key, "POST", `/v1/organization/projects/${owner.projectId}/api_keys`, { name: "ci", scopes: ["inference"] });
      await signIn(page, owner.key);
      await openPage(page, "API keys");
      await page.getByRole("button", { name: "Edit ci" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Name").fill("ci-eu");
      await dialog.getByLabel(/^usage/).check();
      await dialog.getByRole("button", { name: "Save" }).click();
      await page.locator("tr", { hasText: "ci-eu" }).waitFor();
      const after = await apiJson<{ name: string; scopes: string[] }>(base, owner.key, "GET", `/v1/organization/projects/${owner.projectId}/api_keys/${k.id}`);
      expect(after).toMatchObject({ name: "ci-eu", scopes: ["inference", "usage"] });

      await openPage(page, "Audit log");
      await page.getByTestId("audit-table").waitFor();
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export JSON" }).click()]);
      const text = await (await download.createReadStream()).toArray();
      const exported = JSON.parse(Buffer.concat(text).toString("utf8")) as Array<{ type: string }>;
      const direct = await apiJson<{ data: Array<{ type: string }> }>(base, owner.key, "GET", "/v1/organization/audit_logs?limit=100");
      expect(exported).toEqual(direct.data);
      expect(exported[0]?.type).toBe("api_key.updated");
      const res = await api(base, owner.key, "GET", "/v1/organization/audit_logs?limit=1");
      expect(res.status).toBe(200);
      await res.text();
    }));
});
