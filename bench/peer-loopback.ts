// Preloaded into the Portkey gateway's Node process (node --import): its start-server
// listens on every interface and on a fixed port; this makes every listen() loopback-only
// and reports the port it got, so the bench can pass --port=0 and learn the real one.

import { Server } from "node:net";

const listen = Server.prototype.listen;
Server.prototype.listen = function (this: Server, ...args: unknown[]): Server {
  const first = args[0];
  // listen(port, cb) or listen({ port }): pin the host; anything else is left as it is.
  if (typeof first === "number") args = [first, "127.0.0.1", ...args.slice(typeof args[1] === "string" ? 2 : 1)];
  else if (typeof first === "object" && first !== null) args[0] = { ...first, host: "127.0.0.1" };
  this.once("listening", () => {
    const address = this.address();
    if (typeof address === "object" && address !== null) process.stderr.write(`peer-listening ${address.address}:${address.port}\n`);
  });
  return (listen as (...a: unknown[]) => Server).apply(this, args);
};
