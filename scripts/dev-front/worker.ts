// npm start's front Worker (never deployed): forwards each request to the router through a
// service binding with an AbortSignal, and aborts it when the Node front says its client left.

import { CANCEL_PREFIX, ID_HEADER } from "./protocol.ts";

interface FrontEnv {
  ROUTER: Fetcher;
}


// One isolate serves every request of npm start, so the requests in flight can be found by id.
const live = new Map<string, AbortController>();

export default {
  async fetch(req: Request, env: FrontEnv): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname.startsWith(CANCEL_PREFIX)) {
      const id = url.pathname.slice(CANCEL_PREFIX.length);
      live.get(id)?.abort();
      live.delete(id);
      return new Response(null, { status: 204 });
    }
    const id = req.headers.get(ID_HEADER);
    if (id === null) return env.ROUTER.fetch(req);
    const controller = new AbortController();
    live.set(id, controller);
    const headers = new Headers(req.headers);
    headers.delete(ID_HEADER);
    let res: Response;
    try {
      res = await env.ROUTER.fetch(new Request(req, { headers, signal: controller.signal }));
    } catch (err) {
      live.delete(id);
      // The client is gone: nobody reads this.
      if (controller.signal.aborted) return new Response(null, { status: 499 });
      const error = { message: `The router failed before answering: ${String(err)}`, type: "server_error", param: null, code: "router_failed" };
      return Response.json({ error }, { status: 502 });
    }
    if (res.body === null) {
      live.delete(id);
      return res;
    }
    // Registered until the body has passed, so a client leaving mid-stream cancels it too.
    const done = (): void => void live.delete(id);
    const body = res.body.pipeThrough(new TransformStream({ flush: done }));
    return new Response(body, res);
  },
} satisfies ExportedHandler<FrontEnv>;
