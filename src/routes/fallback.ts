// Unknown paths are 404; known paths with the wrong method are 405 with an Allow header.
// A CORS preflight (OPTIONS) is one such wrong method, refused on purpose and without any
// Access-Control-* header: the API takes secret keys, and a browser page holding one
// leaks it to every visitor. Servers never preflight, so they are unaffected.

import { ApiError, codedError } from "../openai/errors.ts";
import type { RouterRequest } from "./context.ts";

/** The 404 for a path the API does not serve. */
export const unknownUrl = (method: string, path: string, more = ""): ApiError =>
  codedError("unknown_url", `Unknown request URL: ${method} ${path}.${more}`);

export function fallbackRoute(allowed: ReadonlyArray<readonly [method: string, pattern: RegExp]>) {
  return function notRouted(request: RouterRequest): never {
    const path = new URL(request.url).pathname;
    const methods = [...new Set(allowed.filter(([, re]) => re.test(path)).map(([m]) => m))];
    if (methods.length === 0) {
      throw unknownUrl(request.method, path);
    }
    const headers = { allow: methods.join(", ") };
    if (request.method === "OPTIONS") {
      throw codedError("cors_not_supported", "This API does not answer cross-origin (CORS) requests: a browser would expose your secret API key. Call it from your server.", { headers });
    }
    throw codedError("method_not_allowed", `${request.method} is not allowed on ${path}; use ${methods.join(" or ")}.`, { headers });
  };
}
