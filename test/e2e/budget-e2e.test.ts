// The openai client meets a spent budget: a RateLimitError with code insufficient_quota,
// and, because the router says x-should-retry: false, not one retry.

import OpenAI, { RateLimitError } from "openai";
import { describe, expect, inject, it } from "vitest";

const router = (): string => inject("routerUrl");
const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${router()}${path}`, { ...init, headers: { authorization: `Bearer ${inject("adminToken")}`, "content-type": "application/json", ...init.headers } });

describe("budgets through the openai client", () => {
  it("raises RateLimitError with code insufficient_quota and does not retry it", async () => {
    const project = (await (await admin("/v1/organization/projects", { method: "POST", body: JSON.stringify({ name: "budget e2e" }) })).json()) as { id: string };
    const key = (await (await admin(`/v1/organization/projects/${project.id}/api_keys`, { method: "POST", body: JSON.stringify({ name: "k" }) })).json()) as { value: string };
    const set = await admin(`/v1/organization/projects/${project.id}/budget`, { method: "PUT", body: JSON.stringify({ amount: 0.000001 }) });
    expect(set.status).toBe(200);
    const models = (await (await fetch(`${router()}/v1/models`, { headers: { authorization: `Bearer ${key.value}` } })).json()) as { data: Array<{ id: string }> };

    let sent = 0;
    const counting: typeof fetch = (input, init) => {
      sent++;
      return fetch(input, init);
    };
    const simBefore = (await (await fetch(`${inject("simUrl")}/_sim/stats`)).json()) as { requests: number };
    const client = new OpenAI({ apiKey: key.value, baseURL: `${router()}/v1`, maxRetries: 3, fetch: counting });
    const err = await client.chat.completions.create({ model: models.data[0]!.id, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RateLimitError);
    const e = err as RateLimitError;
    expect(e.status).toBe(429);
    expect(e.code).toBe("insufficient_quota");
    expect(e.type).toBe("insufficient_quota");
    expect(e.message).toContain("the project's monthly budget");
    expect(e.headers.get("x-should-retry")).toBe("false");
    expect(e.headers.get("x-budget-limit")).toBe("0.000001");
    // One request reached the router, none the origin.
    expect(sent).toBe(1);
    const simAfter = (await (await fetch(`${inject("simUrl")}/_sim/stats`)).json()) as { requests: number };
    expect(simAfter.requests).toBe(simBefore.requests);
  });
});
