// The body an origin gets: the client's, with the origin's model name and usage always on.

import type { ModelEntry, OriginSpec } from "../catalog/types.ts";
import { invalidJson } from "../openai/request-errors.ts";
import type { InferenceRequest } from "../openai/inference-request.ts";

export function originRequestBody(req: InferenceRequest, model: ModelEntry, origin: OriginSpec): string {
  const body: Record<string, unknown> = { ...req.body, model: origin.model ?? model.id };
  if (req.stream) {
    const so = typeof req.body.stream_options === "object" && req.body.stream_options !== null ? req.body.stream_options : {};
    body.stream_options = { ...so, include_usage: true };
  }
  try {
    return JSON.stringify(body);
  } catch {
    throw invalidJson("Request body is nested too deeply.");
  }
}
