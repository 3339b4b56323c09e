// What every handler receives besides the request: bindings, the execution context,
// and this request's id, clock and log entry.

import type { IRequest } from "itty-router";
import type { AccessLog } from "../http/access-log.ts";
import type { ApiError } from "../openai/errors.ts";

export interface RequestState {
  requestId: string;
  startedAt: number;
  log: AccessLog;
  /** Set by a handler whose body outlives the response (a stream): it writes the log itself. */
  logDeferred: boolean;
  /** Set by a handler that holds something to give back or headers to add if it fails later. */
  onError?: (err: ApiError) => void;
}

export type RouterRequest = IRequest & { state: RequestState };
export type RouterArgs = [Env, ExecutionContext];
