// The refusals of the project store (ProjectObject's outcomes): one named constructor per code.

import { codedError, type ApiError } from "../openai/errors.ts";

export const apiKeyNotFound = (keyId: string | null): ApiError =>
  codedError("api_key_not_found", `No API key '${keyId}' in this project.`, { param: "api_key_id" });

export const projectExists = (projectId: string): ApiError => codedError("project_exists", `The project '${projectId}' already exists.`, { param: "id" });

export const apiKeyExists = (): ApiError => codedError("api_key_exists", "This API key already exists.", { param: "value" });

export const apiKeyStoreUnavailable = (): ApiError =>
  codedError("api_key_store_unavailable", "The key could not be stored right now; try again shortly.", { headers: { "retry-after": "1" } });

export const tooManyApiKeys = (): ApiError =>
  codedError("too_many_api_keys", "This project has reached its maximum number of API keys; delete one first.");
