// Which model a request may use, and how a refusal reads.

import { describe, expect, it } from "vitest";
import type { KeyRecord } from "../../src/auth/key-record.ts";
import { checkModelAccess } from "../../src/catalog/model-access.ts";
import type { ModelEntry } from "../../src/catalog/types.ts";
import { ApiError } from "../../src/openai/errors.ts";
import type { Endpoint, InferenceRequest } from "../../src/openai/inference-request.ts";
import { modelEntry } from "../support/model-entry.ts";

const key: KeyRecord = { project_id: "proj_access_unit", key_id: "key_access_unit", scopes: ["inference"], models: null, expires_at: null };
const model = (id: string, type: ModelEntry["type"]): ModelEntry => modelEntry({ id, type });
const request = (endpoint: Endpoint, id: string): InferenceRequest => ({ endpoint, model: id, stream: false, includeUsage: false, maxTokens: null, n: 1, body: { model: id } });
const refusal = (endpoint: Endpoint, m: ModelEntry): ApiError => {
  try {
    checkModelAccess(key, request(endpoint, m.id), m);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
};

describe("checkModelAccess", () => {
  it("names the model's type with the right article on the wrong route", () => {
    const onChat = refusal("chat", model("e5", "embedding"));
    expect(onChat).toMatchObject({ status: 400, code: "unsupported_model", param: "model" });
    expect(onChat.message).toBe("The model 'e5' is an embedding model and cannot be used with /v1/chat/completions.");
    expect(refusal("embedding", model("llama", "chat")).message).toBe("The model 'llama' is a chat model and cannot be used with /v1/embeddings.");
  });
});
