// What a person sees when things go wrong: a wrong, expired or under-scoped key, a key
// revoked mid-session, a 429, a lost connection and a server error; and the page's own
// defences (CSP, text-only rendering, a credential kept out of URLs and cookies).

import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { api, apiJson, newProject, openPage, signIn, useBrowser, withPage } from "./support/console.ts";

const base = inject("routerUrl");
const admin = inject("adminToken");
const browser = useBrowser();

async function signInFails(page: Page, token: string): Promise<{ kind: string | null; text: string }> {
  await page.goto("/");
  await page.getByLabel("API key or admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  return { kind: await alert.getAttribute("data-kind"), text: (await alert.textContent()) ?? "" };
}

describe("error states", () => {
  it("says clearly when a key is wrong, expired or lacks the scopes", () =>
    withPage(browser(), base, "errors-sign-in", async ({ page }) => {
      const wrong = await signInFails(page, "sk-eir-thisisnotakeythisisnotakey000");
      expect(wrong).toMatchObject({ kind: "invalid_key" });
      expect(wrong.text).toContain("Credential not accepted");
      expect((await signInFails(page, "not-even-a-key")).kind).toBe("invalid_key");

      const owner = await newProject(base, admin, "proj_browser_errors");
      const soon = Math.floor(Date.now() / 1000) + 2;
      const expiring = await apiJson<{ value: string }>(base, owner.key, "POST", `/v1/organization/projects/${owner.projectId}/api_keys`, { name: "short", scopes: ["keys"], expires_at: soon });
      await expect.poll(async () => (await api(base, expiring.value, "GET", "/v1/models")).status, { timeout: 10_000, interval: 500 }).toBe(401);
      const expired = await signInFails(page, expiring.value);
      expect(expired.kind).toBe("expired_key");
      expect(expired.text).toContain("This key has expired");

      const inferenceOnly = await apiJson<{ value: string }>(base, owner.key, "POST", `/v1/organization/projects/${owner.projectId}/api_keys`, { name: "inf", scopes: ["inference"] });
      const scoped = await signInFails(page, inferenceOnly.value);
      expect(scoped.kind).toBe("forbidden");
      expect(scoped.text).toContain("neither the 'keys' nor the 'usage' scope");
      expect(await page.evaluate("sessionStorage.length")).toBe(0);
    }));

  it("shows a 429, a lost connection and a server error, and recovers", () =>
    withPage(browser(), base, "errors-api", async ({ page }) => {
      const owner = await newProject(base, admin, "proj_browser_api_errors");
      await signIn(page, owner.key);
      await page.route("**/v1/organization/usage/completions**", (route) =>
        route.fulfill({ status: 429, headers: { "retry-after": "7", "x-request-id": "req_test429", "content-type": "application/json" }, body: JSON.stringify({ error: { message: "Rate limit reached.", type: "rate_limit_error", param: null, code: "rate_limit_exceeded" } }) }));
      await openPage(page, "Usage");
      let alert = page.getByRole("alert").first();
      await alert.waitFor();
      expect(await alert.getAttribute("data-kind")).toBe("rate_limited");
      expect(await alert.textContent()).toContain("Wait 7 s");
      expect(await alert.textContent()).toContain("req_test429");

      await page.unroute("**/v1/organization/usage/completions**");
      await page.route("**/v1/organization/usage/completions**", (route) => route.abort("internetdisconnected"));
      await page.getByRole("button", { name: "Try again" }).click();
      await expect.poll(() => page.getByRole("alert").first().getAttribute("data-kind")).toBe("network");
      expect(await page.getByRole("alert").first().textContent()).toContain("Connection lost");

      await page.unroute("**/v1/organization/usage/completions**");
      await page.route("**/v1/organization/usage/completions**", (route) =>
        route.fulfill({ status: 503, headers: { "x-request-id": "req_test503", "content-type": "application/json" }, body: JSON.stringify({ error: { message: "Usage could not be read right now; try again shortly.", type: "server_error", param: null, code: "usage_unavailable" } }) }));
      await page.getByRole("button", { name: "Try again" }).click();
      await expect.poll(() => page.getByRole("alert").first().getAttribute("data-kind")).toBe("server");
      alert = page.getByRole("alert").first();
      expect(await alert.textContent()).toContain("usage_unavailable");

      await page.unroute("**/v1/organization/usage/completions**");
      await page.getByRole("button", { name: "Try again" }).click();
      await page.getByTestId("usage-totals").waitFor();
      expect(await page.getByRole("alert").count()).toBe(0);
    }));

  it("notices a credential revoked mid-session, and signing out forgets it", () =>
    withPage(browser(), base, "errors-revoked", async ({ page }) => {
      const owner = await newProject(base, admin, "proj_browser_revoked");
      await signIn(page, owner.key);
      // A reload in the same tab keeps the session (sessionStorage), never via URL or cookie.
      await page.reload();
      await page.getByRole("navigation", { name: "Console" }).waitFor();
      expect(page.url()).not.toContain(owner.key);
      expect(await page.context().cookies()).toEqual([]);

      const res = await api(base, admin, "DELETE", `/v1/organization/projects/${owner.projectId}/api_keys/${owner.keyId}`);
      expect(res.status).toBe(200);
      await res.text();
      await openPage(page, "API keys");
      const lost = page.getByTestId("credential-lost");
      await lost.waitFor();
      expect(await lost.textContent()).toContain("Credential not accepted");
      await lost.getByRole("button", { name: "Sign in again" }).click();
      await page.getByLabel("API key or admin token").waitFor();
      expect(await page.evaluate("sessionStorage.length")).toBe(0);
      await page.reload();
      await page.getByLabel("API key or admin token").waitFor();
    }));

  it("serves a strict CSP and renders data only as text", () =>
    withPage(browser(), base, "errors-security", async ({ page }) => {
      const shell = await fetch(new URL("/", base));
      const csp = shell.headers.get("content-security-policy") ?? "";
      for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]) {
        expect(csp).toContain(d);
      }
      expect(await shell.text()).not.toMatch(/<script>|<style|https?:\/\//);

      const owner = await newProject(base, admin, "proj_browser_xss");
      const evil = `<img src=x onerror="window.__pwned=1">`;
      await apiJson(base, owner.key, "POST", `/v1/organization/projects/${owner.projectId}/api_keys`, { name: evil, scopes: ["inference"] });
      await signIn(page, owner.key);
      await openPage(page, "API keys");
      await page.locator("tr", { hasText: evil }).waitFor();
      expect(await page.locator("img[src=x]").count()).toBe(0);
      expect(await page.evaluate("window.__pwned")).toBeUndefined();
    }));
});
