// The refusals of authentication and authorization: one named constructor per code.

import { codedError, type ApiError } from "../openai/errors.ts";

export const missingApiKey = (): ApiError =>
  codedError("missing_api_key", "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.");

export const invalidApiKey = (): ApiError => codedError("invalid_api_key", "Incorrect API key provided.");

export const expiredApiKey = (): ApiError => codedError("expired_api_key", "The API key has expired.");

export const projectSuspended = (): ApiError => codedError("project_suspended", "This API key's project is suspended.");

export const insufficientScope = (scope: string): ApiError => codedError("insufficient_scope", `This API key lacks the '${scope}' scope.`);

export const keyCheckUnavailable = (): ApiError =>
  codedError("key_check_unavailable", "The API key could not be checked right now; try again shortly.", { headers: { "retry-after": "1" } });

export const adminOnly = (): ApiError => codedError("admin_only", "Only an operator's admin token may do this.");

/** A model the key may not use (`model`) or may not grant (`models`). */
export const modelNotAllowed = (message: string, param: "model" | "models"): ApiError => codedError("model_not_allowed", message, { param });

export const apiKeyNotAllowed = (): ApiError =>
  codedError("api_key_not_allowed", "This API key may only change keys whose scopes, models and expiry are within its own.", { param: "api_key_id" });

export const scopeNotAllowed = (): ApiError => codedError("scope_not_allowed", "This API key may only grant scopes it has itself.", { param: "scopes" });

export const expiryNotAllowed = (): ApiError =>
  codedError("expiry_not_allowed", "This API key may only grant an expiry no later than its own ('expires_at').", { param: "expires_at" });
