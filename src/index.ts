// Worker entry: the router for HTTP, and the Durable Object classes it binds.

import { router } from "./app.ts";

export { LimiterObject } from "../durable-objects/limiter.ts";
export { ProjectObject } from "../durable-objects/project.ts";

export default {
  fetch: (request, env, ctx) => router.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
