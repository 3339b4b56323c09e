// Starts the MLflow-contract trace receiver in Node for the workerd tests (its URL is the
// TRACE_RECEIVER_URL binding); each test uses experiment ids of its own.

import type { TestProject } from "vitest/node";
import { startTraceReceiver } from "../support/trace-receiver.ts";

declare module "vitest" {
  export interface ProvidedContext {
    traceReceiverUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const recv = await startTraceReceiver();
  project.provide("traceReceiverUrl", recv.url);
  return () => recv.close();
}
