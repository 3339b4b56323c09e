// A webhook receiver in Node for the budget alert tests: it records every delivery per
// path, and refuses the first delivery of each alert id on paths that start with /flaky.

import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    webhookReceiverUrl: string;
  }
}

interface Delivery {
  headers: Record<string, string>;
  body: string;
  status: number;
}

const read = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const deliveries = new Map<string, Delivery[]>();
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method === "GET" && path.startsWith("/_deliveries/")) {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(deliveries.get(path.slice("/_deliveries".length)) ?? []));
      return;
    }
    const body = await read(req);
    const list = deliveries.get(path) ?? [];
    deliveries.set(path, list);
    const id = String(req.headers["x-budget-alert-id"] ?? "");
    const seen = list.some((d) => d.headers["x-budget-alert-id"] === id);
    const status = path.startsWith("/flaky") && !seen ? 503 : 200;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    list.push({ headers, body, status });
    res.statusCode = status;
    res.end(status === 200 ? "ok" : "try again");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  project.provide("webhookReceiverUrl", `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return () => new Promise((resolve) => server.close(() => resolve()));
}
