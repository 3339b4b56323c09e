// The errors of a request the origins could not answer, or the client left: one per code.

import { ApiError, codedError } from "./errors.ts";

export const clientClosed = (): ApiError => codedError("client_closed", "The client closed the request.");

export const originTimeout = (message = "The model origin did not answer in time."): ApiError => codedError("origin_timeout", message);

export const originError = (message: string): ApiError => codedError("origin_error", message);

const retry = (seconds: number): Record<string, string> => ({ "retry-after": String(seconds) });

export const modelOverloaded = (retryAfter: number): ApiError =>
  codedError("model_overloaded", "The model is overloaded; retry shortly.", { headers: retry(retryAfter) });

export const originUnreachable = (retryAfter: number): ApiError =>
  codedError("origin_unreachable", "No model origin could be reached; retry shortly.", { headers: retry(retryAfter) });

export const noHealthyOrigin = (retryAfter: number): ApiError =>
  codedError("no_healthy_origin", "No origin serves this model right now; retry shortly.", { headers: retry(retryAfter) });

/** The caller's own mistake as the origin judged it: the origin's code, not one of ours. */
export const originRejected = (status: 400 | 413, detail: { code: string | null; param: string | null; message: string | null }): ApiError =>
  new ApiError({ status, type: "invalid_request_error", code: detail.code, param: detail.param, message: detail.message ?? "The model rejected the request." });
