// No CORS: the API takes secret keys, and a browser page holding one leaks it to every
// visitor. A preflight gets a plain refusal without any Access-Control-* header, so
// browsers block the cross-origin call; servers, which never preflight, are unaffected.

import { ApiError } from "../openai/errors.ts";

export function refuseCrossOrigin(allowed: ReadonlyArray<readonly [method: string, pattern: RegExp]>) {
  return function noCors(request: Request): never {
    const path = new URL(request.url).pathname;
    const methods = [...new Set(allowed.filter(([, re]) => re.test(path)).map(([m]) => m))];
    if (methods.length === 0) {
      throw new ApiError({ status: 404, type: "invalid_request_error", code: "unknown_url", message: `Unknown request URL: OPTIONS ${path}.` });
    }
    throw new ApiError({
      status: 405,
      type: "invalid_request_error",
      code: "cors_not_supported",
      message: "This API does not answer cross-origin (CORS) requests: a browser would expose your secret API key. Call it from your server.",
      headers: { allow: methods.join(", ") },
    });
  };
}
