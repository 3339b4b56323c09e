// The coded 400s of a request body or query: one named constructor per code.

import { codedError, type ApiError } from "./errors.ts";

export const invalidJson = (message: string): ApiError => codedError("invalid_json", message);

export const missingParameter = (param: string, message = `Missing required parameter: '${param}'.`): ApiError =>
  codedError("missing_required_parameter", message, { param });

export const unknownParameter = (param: string, message: string): ApiError => codedError("unknown_parameter", message, { param });

export const unsupportedModel = (message: string): ApiError => codedError("unsupported_model", message, { param: "model" });

export const invalidScope = (message: string): ApiError => codedError("invalid_scope", message, { param: "scopes" });

export const expiryInPast = (): ApiError => codedError("expiry_in_past", "'expires_at' is in the past.", { param: "expires_at" });

/** A model list (a key's or a project's) naming a model the catalog lacks. */
export const unknownModelInList = (message: string, param: string): ApiError =>
  codedError("model_not_found", message, { param, status: 400 });
