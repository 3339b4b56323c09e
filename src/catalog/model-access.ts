// Which model a request may use: the key's allow-list, the endpoint's model type, the
// context length; and the errors for a model that is unknown or retired.

import type { KeyRecord } from "../auth/key-record.ts";
import { modelNotAllowed } from "../auth/errors.ts";
import { codedError, invalidRequest, type ApiError } from "../openai/errors.ts";
import { unsupportedModel } from "../openai/request-errors.ts";
import type { InferenceRequest } from "../openai/inference-request.ts";
import type { ModelEntry } from "./types.ts";

export const modelNotFound = (id: string): ApiError =>
  codedError("model_not_found", `The model '${id}' does not exist or you do not have access to it.`, { param: "model" });

export const modelRetired = (id: string, sunset: string | undefined): ApiError =>
  codedError("model_retired", `The model '${id}' was retired on ${sunset} and has no successor.`, { param: "model" });

const ROUTES = { embedding: "/v1/embeddings", chat: "/v1/chat/completions", completion: "/v1/completions" } as const;

/** Throws why this key may not send this request to this model, if it may not. */
export function checkModelAccess(key: KeyRecord, req: InferenceRequest, model: ModelEntry): void {
  if (key.models !== null && !key.models.includes(req.model)) {
    throw modelNotAllowed(`This API key may not use the model '${req.model}'.`, "model");
  }
  const wants = req.endpoint === "embedding" ? "embedding" : "chat";
  if (model.type !== wants) {
    throw unsupportedModel(`The model '${req.model}' is ${model.type === "embedding" ? "an" : "a"} ${model.type} model and cannot be used with ${ROUTES[req.endpoint]}.`);
  }
  if (req.maxTokens !== null && req.maxTokens > model.context_length) {
    const field = req.body.max_completion_tokens !== undefined ? "max_completion_tokens" : "max_tokens";
    throw invalidRequest(`'${field}' is ${req.maxTokens}, more than the model's context length of ${model.context_length} tokens.`, field);
  }
}
