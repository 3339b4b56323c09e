// npm start's front door: a Node proxy on the port users call, in front of wrangler dev,
// that notices a client hanging up and tells the front Worker (scripts/dev-front/) to
// abort that request, since workerd's own listener does not (docs/design/streaming.md).

import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { CANCEL_PREFIX, ID_HEADER } from "./dev-front/protocol.ts";

// Hop-by-hop headers belong to one connection, not to the request or answer passed on.
const HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

function passedHeaders(raw: string[], extra: string[] = []): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP.has(name) && name !== ID_HEADER) out.push(raw[i]!, raw[i + 1]!);
  }
  return [...out, ...extra];
}

/** Listens on 127.0.0.1:`port` and proxies, byte for byte and unbuffered, to 127.0.0.1:`upstream`. */
export function startDevFront(port: number, upstream: number): Promise<Server> {
  const agent = new Agent({ keepAlive: true });
  const cancel = (id: string): void => {
    const r = request({ host: "127.0.0.1", port: upstream, method: "POST", path: `${CANCEL_PREFIX}${id}`, agent });
    r.on("error", () => {}); // wrangler stopping: nothing left to cancel
    r.on("response", (res) => res.resume());
    r.end();
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    // The cancel call is the front's own; a client may not name (or cancel) requests.
    if (req.url?.startsWith("/__dev_front/")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "Not found.", type: "invalid_request_error", param: null, code: "not_found" } }));
      return;
    }
    const id = randomUUID();
    const up = request({ host: "127.0.0.1", port: upstream, method: req.method, path: req.url, agent, headers: passedHeaders(req.rawHeaders, [ID_HEADER, id]) });
    res.on("close", () => {
      if (res.writableFinished) return;
      // The client left before the whole answer was written: before its first byte or mid-stream.
      cancel(id);
      up.destroy();
    });
    up.on("response", (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.statusMessage, passedHeaders(ur.rawHeaders));
      res.flushHeaders();
      ur.pipe(res);
    });
    up.on("error", (err) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `The local router did not answer: ${err.message}`, type: "server_error", param: null, code: "router_unreachable" } }));
    });
    req.pipe(up);
  };
  const server = createServer({ noDelay: true }, handle);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}
