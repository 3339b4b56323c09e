// The headers of a successful inference response: content type, origin region, request
// id, the admission steps' headers and the model's lifecycle headers.

import { lifecycleHeaders, type Resolution } from "../catalog/lifecycle.ts";
import type { HeadersFor } from "./answer.ts";

type Served = Extract<Resolution, { kind: "serve" }>;

/** A plain object: the Response takes it in one step, where Headers.set is a call each. */
export function responseHeadersFor(served: Served, now: number, requestId: string, originRegion: string, admitted: Readonly<Record<string, string>>): HeadersFor {
  return (eventStream) => {
    const headers: Record<string, string> = {
      "content-type": eventStream ? "text/event-stream; charset=utf-8" : "application/json",
      "x-origin-region": originRegion,
      "x-request-id": requestId,
      ...admitted,
    };
    if (eventStream) headers["cache-control"] = "no-cache";
    lifecycleHeaders(served.requested, now, headers);
    if (served.substituted) headers["x-model-substituted"] = `${served.requested.id} -> ${served.model.id}`;
    return headers;
  };
}
