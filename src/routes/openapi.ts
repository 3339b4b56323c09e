// GET /v1/openapi.json: the API's OpenAPI 3.1 document, without a key (it holds no secret).
// The console build writes it into the static assets (scripts/console-build.ts), so its
// ~9 KiB (gzipped) of schemas are not in the Worker's bundle, parsed at every cold start.

import type { RouterArgs, RouterRequest } from "./context.ts";
import { unknownUrl } from "./fallback.ts";

/** Where the built document lies among the static assets. */
export const OPENAPI_ASSET = "/openapi.json";

export async function getOpenApiDocument(request: RouterRequest, env: RouterArgs[0]): Promise<Response> {
  const res = await env.ASSETS.fetch(new URL(OPENAPI_ASSET, request.url));
  if (!res.ok) {
    await res.body?.cancel();
    throw unknownUrl("GET", "/v1/openapi.json", " The OpenAPI document was not built with this deployment: run `npm run console:build` before deploying.");
  }
  const headers = new Headers({ "content-type": "application/json", "cache-control": "public, max-age=300" });
  return new Response(res.body, { status: 200, headers });
}
