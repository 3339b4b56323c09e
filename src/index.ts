// Worker entry: the router for HTTP, the cron (origin health check, parked settle
// batches), and the Durable Object classes it binds.

import { router } from "./app.ts";
import { probeOrigins } from "./origins/probe.ts";
import { sweepParkedSettles } from "./quota/settle-parking.ts";

export { KeyClaimObject } from "../durable-objects/key-claim.ts";
export { LimiterObject } from "../durable-objects/limiter.ts";
export { ProjectObject } from "../durable-objects/project.ts";

export default {
  fetch: (request, env, ctx) => router.fetch(request, env, ctx),
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(probeOrigins(env, ctx, controller.scheduledTime));
    ctx.waitUntil(sweepParkedSettles(env));
  },
} satisfies ExportedHandler<Env>;
