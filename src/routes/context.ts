// What every handler receives besides the request: bindings, the execution context,
// and this request's id, clock and log entry.

import type { IRequest } from "itty-router";
import type { AccessLog } from "../http/access-log.ts";

export interface RequestState {
  requestId: string;
  startedAt: number;
  log: AccessLog;
  /** Set by a handler whose body outlives the response (a stream): it writes the log itself. */
  logDeferred: boolean;
}

export type RouterRequest = IRequest & { state: RequestState };
export type RouterArgs = [Env, ExecutionContext];
