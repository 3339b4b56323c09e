// Drives the console in Debian's headless Chromium (playwright-core): one browser per file,
// a fresh context per test, a screenshot when a test fails, and the checks every page gets
// (no script errors, no request leaving the router's origin, axe with no serious violations).

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FAILURES = fileURLToPath(new URL("../failures", import.meta.url).href);
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install it with 'sudo apt-get install chromium' (or set CHROMIUM_PATH).`);
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

/** One headless Chromium for a test file: launched before its tests, closed after them. */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (browser === undefined) throw new Error("the browser is launched in beforeAll");
    return browser;
  };
}

export interface Session {
  page: Page;
  context: BrowserContext;
  /** Requests the page made to any other origin than the router's. */
  foreign: string[];
  errors: string[];
}

/** Runs a test body on a fresh page; on failure saves test/browser/failures/<name>.png. */
export async function withPage(browser: Browser, baseUrl: string, name: string, body: (s: Session) => Promise<void>, viewport = { width: 1280, height: 900 }): Promise<void> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl });
  const page = await context.newPage();
  const origin = new URL(baseUrl).origin;
  const s: Session = { page, context, foreign: [], errors: [] };
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(`${origin}/`) && !u.startsWith("blob:") && !u.startsWith("data:")) s.foreign.push(u);
  });
  page.on("pageerror", (e) => s.errors.push(e.message));
  page.on("console", (m) => {
    // A refused fetch is logged by Chromium as "Failed to load resource"; the tests provoke those.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) s.errors.push(m.text());
  });
  try {
    await body(s);
    expect(s.errors, "script errors on the page").toEqual([]);
    expect(s.foreign, "requests to other origins").toEqual([]);
  } catch (err) {
    mkdirSync(FAILURES, { recursive: true });
    await page.screenshot({ path: join(FAILURES, `${name.replace(/[^a-z0-9-]+/gi, "_")}.png`), fullPage: true }).catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
}

export async function signIn(page: Page, token: string): Promise<void> {
  await page.goto("/");
  await page.getByLabel("API key or admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Console" }).waitFor();
}

export async function openPage(page: Page, title: string): Promise<void> {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: title }).click();
  await page.getByRole("heading", { level: 1, name: title }).waitFor();
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** axe-core in the page (evaluated over the DevTools protocol, which the page's CSP does not govern). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate("typeof globalThis.axe === 'object'"))) await page.evaluate(AXE_SOURCE);
  const result = (await page.evaluate("globalThis.axe.run(document, { resultTypes: ['violations'] })")) as { violations: AxeViolation[] };
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

export const describeViolations = (vs: AxeViolation[]): string[] => vs.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);

/** The management API, for arranging what a test needs and checking what the console did. */
export async function api(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(new URL(path, baseUrl), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
}

export async function apiJson<T>(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await api(baseUrl, token, method, path, body);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A project of the test's own, with a management key (scopes given) whose secret it returns. */
export async function newProject(baseUrl: string, adminToken: string, id: string, scopes = ["inference", "keys", "usage"]): Promise<{ projectId: string; key: string; keyId: string }> {
  const projectId = `${id}_${crypto.randomUUID().slice(0, 8)}`;
  await apiJson(baseUrl, adminToken, "POST", "/v1/organization/projects", { id: projectId, name: `Test ${id}` });
  const k = await apiJson<{ id: string; value: string }>(baseUrl, adminToken, "POST", `/v1/organization/projects/${projectId}/api_keys`, { name: "owner", scopes });
  return { projectId, key: k.value, keyId: k.id };
}

export async function chat(baseUrl: string, key: string, model = "llama-3.1-8b-instruct"): Promise<Response> {
  return api(baseUrl, key, "POST", "/v1/chat/completions", { model, messages: [{ role: "user", content: "Hello from the console test" }], max_tokens: 12 });
}
