// What every handler receives besides the request: bindings, the execution context,
// and this request's id, clock and log entry.

import type { IRequest } from "itty-router";
import type { AccessLog } from "../http/access-log.ts";
import type { InferenceOwner } from "../inference/owner.ts";

export interface RequestState {
  requestId: string;
  startedAt: number;
  log: AccessLog;
  /** Set once an inference owner took the request over: from then on it writes the log line. */
  owner?: InferenceOwner;
}

export type RouterRequest = IRequest & { state: RequestState };
export type RouterArgs = [Env, ExecutionContext];
