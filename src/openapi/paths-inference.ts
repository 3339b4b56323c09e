// The OpenAI-compatible endpoints: models, chat completions, completions and embeddings.

import { errors } from "./errors.ts";
import { inferenceHeaders } from "./headers.ts";
import { ref, type Operation, type PathItem, type Response } from "./types.ts";

const API_KEY: Array<Record<string, string[]>> = [{ apiKey: [] }];
const json = (schema: string) => ({ "application/json": { schema: ref("schemas", schema) } });

/** A served inference: JSON, or an event stream when the request asked for `stream: true`. */
function served(body: string, chunk: string | null): Response {
  return {
    description: chunk === null ? "The origin's answer." : "The origin's answer: JSON, or with `stream: true` an event stream relayed as it arrives.",
    headers: inferenceHeaders,
    content: {
      ...json(body),
      ...(chunk === null ? {} : { "text/event-stream": { schema: { type: "string", description: "`data: <chunk JSON>` events, then `data: [DONE]`." }, "x-event-schema": ref("schemas", chunk) } }),
    },
  };
}

const rateLimited = {
  description: "The project's RPM or TPM for the model is spent (`rate_limit_exceeded`, with retry-after), or a monthly budget would be exceeded by the request's worst case (`insufficient_quota`, type insufficient_quota, x-should-retry: false; the message names the budget, spend and reset).",
  headers: { ...inferenceHeaders, "retry-after": ref("headers", "RetryAfter"), "retry-after-ms": ref("headers", "RetryAfterMs"), "x-should-retry": ref("headers", "ShouldRetry") },
  content: json("Error"),
};

function inference(operationId: string, summary: string, request: string, body: string, chunk: string | null): Operation {
  return {
    operationId,
    summary,
    tags: ["inference"],
    security: API_KEY,
    requestBody: { required: true, content: json(request) },
    responses: { "200": served(body, chunk), ...errors(400, 401, 403, 404, 410, 413, 500, 502, 503, 504), "429": rateLimited },
  };
}

export const inferencePaths: Record<string, PathItem> = {
  "/v1/models": {
    get: {
      operationId: "listModels",
      summary: "The models the key may use (retired ones are left out), with their model cards.",
      tags: ["models"],
      security: API_KEY,
      responses: { "200": { description: "The models.", content: json("ModelList") }, ...errors(401, 403, 503) },
    },
  },
  "/v1/models/{model}": {
    get: {
      operationId: "getModel",
      summary: "One model's card, retired models too.",
      tags: ["models"],
      security: API_KEY,
      parameters: [{ name: "model", in: "path", required: true, description: "The model id (may contain '/').", schema: { type: "string" } }],
      responses: { "200": { description: "The model.", content: json("Model") }, ...errors(401, 403, 404, 503) },
    },
  },
  "/v1/chat/completions": {
    post: inference("createChatCompletion", "A chat completion, streamed or not.", "ChatCompletionRequest", "ChatCompletion", "ChatCompletionChunk"),
  },
  "/v1/completions": {
    post: inference("createCompletion", "A text completion, streamed or not.", "CompletionRequest", "Completion", "CompletionChunk"),
  },
  "/v1/embeddings": {
    post: inference("createEmbedding", "Embeddings of one or more inputs.", "EmbeddingRequest", "EmbeddingList", null),
  },
  "/v1/openapi.json": {
    get: {
      operationId: "getOpenApiDocument",
      summary: "This document. No key needed.",
      tags: ["meta"],
      security: [],
      responses: { "200": { description: "The OpenAPI 3.1 document.", content: { "application/json": { schema: { type: "object", required: ["openapi", "paths"] } } } } },
    },
  },
};
