// Unknown paths are 404; known paths with the wrong method are 405 with an Allow header.

import { ApiError } from "../openai/errors.ts";
import type { RouterRequest } from "./context.ts";

export function fallbackRoute(allowed: ReadonlyArray<readonly [method: string, pattern: RegExp]>) {
  return function notRouted(request: RouterRequest): never {
    const path = new URL(request.url).pathname;
    const methods = [...new Set(allowed.filter(([, re]) => re.test(path)).map(([m]) => m))];
    if (methods.length > 0) {
      throw new ApiError({
        status: 405,
        type: "invalid_request_error",
        code: "method_not_allowed",
        message: `${request.method} is not allowed on ${path}; use ${methods.join(" or ")}.`,
        headers: { allow: methods.join(", ") },
      });
    }
    throw new ApiError({
      status: 404,
      type: "invalid_request_error",
      code: "unknown_url",
      message: `Unknown request URL: ${request.method} ${path}.`,
    });
  };
}
