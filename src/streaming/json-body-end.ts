// What the JSON-body reader needs from the origin's response, and the error for a
// non-streamed body that failed before any of it was sent: a clean error, not a cut 200.

import { ApiError } from "../openai/errors.ts";

/** The origin's content-length, when it describes the bytes we read (no content-encoding). */
export function declaredLength(res: Response): number | null {
  if (res.headers.has("content-encoding")) return null;
  const n = Number(res.headers.get("content-length") ?? Number.NaN);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

export function jsonBodyFailed(end: "origin_error" | "origin_stalled" | "client_closed"): ApiError {
  switch (end) {
    case "client_closed":
      return new ApiError({ status: 499, type: "invalid_request_error", code: "client_closed", message: "The client closed the request." });
    case "origin_stalled":
      return new ApiError({ status: 504, type: "server_error", code: "origin_timeout", message: "The model origin stopped sending its answer." });
    case "origin_error":
      return new ApiError({ status: 502, type: "server_error", code: "origin_error", message: "The model origin broke off its answer." });
  }
}
