// Tracing settings in the console: a `keys` key sets the MLflow destination with a
// credential the page never shows again, changes the capture keeping the credential, and
// stops tracing.

import { describe, expect, inject, it } from "vitest";
import { apiJson, newProject, openPage, signIn, useBrowser, withPage } from "./support/console.ts";

const base = inject("routerUrl");
const admin = inject("adminToken");
const browser = useBrowser();

describe("tracing settings in the console", () => {
  it("sets a destination with a write-only credential, keeps it on a change, and stops tracing", () =>
    withPage(browser(), base, "tracing-settings", async ({ page }) => {
      const owner = await newProject(base, admin, "proj_browser_trace");
      const token = `mlflow-token-${crypto.randomUUID()}`;
      await signIn(page, owner.key);
      await expect.poll(() => page.getByTestId("current-project").textContent()).toBe(owner.projectId);
      await openPage(page, "Tracing");
      await expect.poll(() => page.getByTestId("tracing-state").textContent()).toContain("Tracing is off");
      await page.getByLabel("Tracking URI").fill("http://127.0.0.1:19399/mlflow");
      await page.getByLabel("Experiment id").fill("42");
      await page.getByLabel("Capture", { exact: true }).selectOption("full");
      await page.getByLabel("Credential", { exact: true }).selectOption("bearer");
      await page.getByLabel("Token", { exact: true }).fill(token);
      await page.getByRole("button", { name: "Save tracing" }).click();
      await expect.poll(() => page.getByTestId("tracing-state").textContent()).toContain("a bearer credential is stored");
      // Write-only: nowhere on the page, and the API shows only its type.
      expect(await page.content()).not.toContain(token);
      expect(await page.getByLabel("Token", { exact: true }).count()).toBe(0);
      const stored = await apiJson<Record<string, unknown>>(base, owner.key, "GET", `/v1/organization/projects/${owner.projectId}/tracing`);
      expect(stored).toMatchObject({ tracking_uri: "http://127.0.0.1:19399/mlflow", experiment_id: "42", capture: "full", credential: { type: "bearer" } });
      expect(JSON.stringify(stored)).not.toContain(token);

      // Back to metadata, keeping the credential (the default choice once one is stored).
      await page.reload();
      await openPage(page, "Tracing");
      await page.getByLabel("Capture", { exact: true }).selectOption("metadata");
      expect(await page.getByLabel("Credential", { exact: true }).inputValue()).toBe("keep");
      await page.getByRole("button", { name: "Save tracing" }).click();
      await expect.poll(() => page.getByTestId("tracing-state").textContent()).toContain("capture metadata");
      expect(await page.getByTestId("tracing-state").textContent()).toContain("a bearer credential is stored");

      await page.getByRole("button", { name: "Stop tracing" }).click();
      await expect.poll(() => page.getByTestId("tracing-state").textContent()).toContain("Tracing is off");
    }));
});
