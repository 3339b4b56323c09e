// Keys made through the management API, used and revoked through the real `openai` client.

import OpenAI from "openai";
import { describe, expect, inject, it } from "vitest";
import { management } from "../../scripts/admin.ts";

const url = () => inject("routerUrl");
const asAdmin = (method: string, path: string, body?: unknown) => management(url(), inject("adminToken"), method, path, body);
const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${url()}/v1`, maxRetries: 0 });
const chat = (apiKey: string) =>
  client(apiKey).chat.completions.create({ model: "llama-3.1-8b-instruct", messages: [{ role: "user", content: "Hi." }], max_tokens: 3 });

/** Slightly over the router's KEY_TRUST_MS, the stated revocation bound. */
const REVOCATION_WAIT_MS = 5_500;

describe("keys from the management API with the openai client", () => {
  it("serves a new key, and refuses it with AuthenticationError after deletion", async () => {
    const project = (await asAdmin("POST", "/v1/organization/projects", { name: "e2e" })) as { id: string };
    const key = (await asAdmin("POST", `/v1/organization/projects/${project.id}/api_keys`, { name: "e2e", scopes: ["inference"] })) as {
      id: string;
      value: string;
    };
    const res = await chat(key.value);
    expect(res.usage?.completion_tokens).toBe(3);

    await asAdmin("DELETE", `/v1/organization/projects/${project.id}/api_keys/${key.id}`);
    await new Promise((r) => setTimeout(r, REVOCATION_WAIT_MS));
    await expect(chat(key.value)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("lets the demo key (a management key of the demo project) create keys for its project", async () => {
    const demo = inject("demoKey");
    const key = (await management(url(), demo, "POST", "/v1/organization/projects/proj_demo/api_keys", { name: "made-by-demo" })) as { value: string };
    const models = await client(key.value).models.list();
    expect(models.data.length).toBeGreaterThan(0);
    await expect(management(url(), key.value, "GET", "/v1/organization/projects/proj_demo/api_keys")).rejects.toMatchObject({ status: 403 });
  });
});
