// One structured JSON line per request. Only metadata: never a prompt, completion or key.

export interface AccessLog {
  /** "error" for a 5xx, else "info"; set when the line is written. */
  level: "info" | "error";
  event: "request";
  request_id: string;
  method: string;
  path: string;
  status: number;
  project_id: string | null;
  key_id: string | null;
  model: string | null;
  served_model: string | null;
  origin_region: string | null;
  stream: boolean;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  /** How an inference ended (InferenceEnd): complete, client_closed, origin_error, origin_stalled, refused, rejected. */
  end: string | null;
  error_code: string | null;
  ttfb_ms: number | null;
  total_ms: number | null;
}

export function newAccessLog(requestId: string, method: string, path: string): AccessLog {
  return {
    level: "info",
    event: "request",
    request_id: requestId,
    method,
    path,
    status: 0,
    project_id: null,
    key_id: null,
    model: null,
    served_model: null,
    origin_region: null,
    stream: false,
    prompt_tokens: null,
    completion_tokens: null,
    end: null,
    error_code: null,
    ttfb_ms: null,
    total_ms: null,
  };
}

/** The entry already has the line's shape: no copy of it per request. */
export function writeAccessLog(entry: AccessLog): void {
  entry.level = entry.status >= 500 ? "error" : "info";
  console.log(JSON.stringify(entry));
}
