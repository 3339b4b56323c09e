// Accessibility and small screens: axe-core finds no serious or critical violation on any
// page or dialog, the navigation works from the keyboard, and a phone needs no sideways scroll.

import type { Page } from "playwright-core";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { apiJson, axeViolations, chat, describeViolations, newProject, openPage, signIn, useBrowser, withPage } from "./support/console.ts";

const base = inject("routerUrl");
const admin = inject("adminToken");
const browser = useBrowser();
let owner: { projectId: string; key: string };

beforeAll(async () => {
  owner = await newProject(base, admin, "proj_browser_a11y");
  await apiJson(base, owner.key, "POST", `/v1/organization/projects/${owner.projectId}/api_keys`, { name: "expiring", scopes: ["inference"], expires_at: Math.floor(Date.now() / 1000) + 86_400 });
  // Some usage, so the charts and tables are drawn.
  for (const model of ["llama-3.1-8b-instruct", "mistral-small-3.2-24b-instruct"]) await (await chat(base, owner.key, model)).text();
});

async function expectAccessible(page: Page, where: string): Promise<void> {
  expect(describeViolations(await axeViolations(page)), where).toEqual([]);
}

describe("the accessibility check itself", () => {
  it("reports a serious violation when there is one", () =>
    withPage(browser(), base, "a11y-self-check", async ({ page }) => {
      await page.goto("/");
      await page.getByLabel("API key or admin token").waitFor();
      await page.evaluate("document.querySelector('form').append(Object.assign(document.createElement('input'), { type: 'text' }))");
      const ids = (await axeViolations(page)).map((v) => v.id);
      expect(ids).toContain("label");
    }));
});

const KEY_PAGES = ["Overview", "Models", "API keys", "Usage", "Budgets", "Tracing", "Audit log"];

describe("accessibility", () => {
  it("every page and dialog of a project key passes axe", () =>
    withPage(browser(), base, "a11y-key", async ({ page }) => {
      await page.goto("/");
      await page.getByLabel("API key or admin token").waitFor();
      await expectAccessible(page, "sign-in");
      await signIn(page, owner.key);
      for (const title of KEY_PAGES) {
        await openPage(page, title);
        await page.waitForLoadState("networkidle");
        await expectAccessible(page, title);
      }
      await openPage(page, "API keys");
      await page.getByRole("button", { name: "Create key" }).click();
      await page.getByRole("dialog").getByLabel("Only these models").check();
      await expectAccessible(page, "create key dialog");
      await page.keyboard.press("Escape");
      await page.getByRole("dialog").waitFor({ state: "detached" });
      await page.getByRole("button", { name: "Delete expiring" }).click();
      await expectAccessible(page, "delete dialog");
    }));

  it("the operators' pages pass axe", () =>
    withPage(browser(), base, "a11y-admin", async ({ page }) => {
      await signIn(page, admin);
      await openPage(page, "Projects");
      await page.getByTestId("projects-table").waitFor();
      await expectAccessible(page, "Projects");
      await page.getByRole("button", { name: "Create project" }).click();
      await expectAccessible(page, "create project dialog");
      await page.keyboard.press("Escape");
      await page.getByLabel("Open by id").fill(owner.projectId);
      await page.getByRole("button", { name: "Open", exact: true }).click();
      for (const title of ["Overview", "API keys", "Usage", "Budgets", "Tracing", "Audit log"]) {
        await openPage(page, title);
        await page.waitForLoadState("networkidle");
        await expectAccessible(page, `admin ${title}`);
      }
    }));

  it("works from the keyboard and on a phone", () =>
    withPage(browser(), base, "a11y-phone", async ({ page }) => {
      await page.goto("/");
      // Keyboard only: type the key, submit with Enter.
      await page.getByLabel("API key or admin token").focus();
      await page.keyboard.type(owner.key);
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      // The navigation sits behind the menu button; open it and follow a link by keyboard.
      const menu = page.getByRole("button", { name: "Menu" });
      expect(await menu.getAttribute("aria-expanded")).toBe("false");
      await menu.focus();
      await page.keyboard.press("Enter");
      expect(await menu.getAttribute("aria-expanded")).toBe("true");
      await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Usage" }).focus();
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { level: 1, name: "Usage" }).waitFor();
      for (const title of KEY_PAGES) {
        await page.evaluate(`location.hash = ${JSON.stringify(`#/${title === "API keys" ? "keys" : title === "Audit log" ? "audit" : title.toLowerCase()}`)}`);
        await page.getByRole("heading", { level: 1, name: title }).waitFor();
        await page.waitForLoadState("networkidle");
        const overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth");
        expect(overflow, `${title} scrolls sideways on a phone`).toBeLessThanOrEqual(0);
        await expectAccessible(page, `phone ${title}`);
      }
    }, { width: 390, height: 844 }));
});
