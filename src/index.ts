// Worker entry: the router for HTTP, the cron's origin health check, and the Durable
// Object classes it binds.

import { router } from "./app.ts";
import { probeOrigins } from "./origins/probe.ts";

export { LimiterObject } from "../durable-objects/limiter.ts";
export { ProjectObject } from "../durable-objects/project.ts";

export default {
  fetch: (request, env, ctx) => router.fetch(request, env, ctx),
  scheduled: (controller, env, ctx) => ctx.waitUntil(probeOrigins(env, ctx, controller.scheduledTime)),
} satisfies ExportedHandler<Env>;
