// What the JSON-body reader needs from the origin's response, and the error for a
// non-streamed body that failed before any of it was sent: a clean error, not a cut 200.

import type { ApiError } from "../openai/errors.ts";
import { clientClosed, originError, originTimeout } from "../openai/upstream-errors.ts";

/** The origin's content-length, when it describes the bytes we read (no content-encoding). */
export function declaredLength(res: Response): number | null {
  if (res.headers.has("content-encoding")) return null;
  const n = Number(res.headers.get("content-length") ?? Number.NaN);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

export function jsonBodyFailed(end: "origin_error" | "origin_stalled" | "client_closed"): ApiError {
  switch (end) {
    case "client_closed":
      return clientClosed();
    case "origin_stalled":
      return originTimeout("The model origin stopped sending its answer.");
    case "origin_error":
      return originError("The model origin broke off its answer.");
  }
}
