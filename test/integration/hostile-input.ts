import { prng as rng } from "../../sim/prng.ts";
import { chatBody } from "../support/chat-body.ts";
// A seeded generator of hostile requests: malformed and mistyped bodies, huge and deep
// JSON, invalid UTF-8, hostile headers and keys. Each case is one the router must refuse
// with a 4xx; the same seed always yields the same cases, so a failure replays exactly.

export interface HostileCase {
  name: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | (() => ReadableStream<Uint8Array>);
  /** The one status the router must answer; when absent any 4xx will do. */
  status?: number;
}


type Endpoint = "chat" | "completion" | "embedding";
const PATHS: Record<Endpoint, string> = { chat: "/v1/chat/completions", completion: "/v1/completions", embedding: "/v1/embeddings" };
const MODELS: Record<Endpoint, string> = { chat: "test-chat", completion: "test-chat", embedding: "test-embed" };
const enc = new TextEncoder();

export function validBody(endpoint: Endpoint): Record<string, unknown> {
  if (endpoint === "chat") return chatBody({ model: MODELS.chat, content: "hello", max_tokens: 2 });
  if (endpoint === "completion") return { model: MODELS.completion, prompt: "hello", max_tokens: 2 };
  return { model: MODELS.embedding, input: "hello" };
}

export function generateHostileCases(seed: number, validKey: string, maxBodyBytes: number): HostileCase[] {
  const r = rng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const endpoint = (): Endpoint => pick(["chat", "completion", "embedding"] as const);
  const auth = { authorization: `Bearer ${validKey}`, "content-type": "application/json" };
  const cases: HostileCase[] = [];
  const post = (name: string, ep: Endpoint, body: HostileCase["body"], status?: number, headers: Record<string, string> = auth): void => {
    cases.push({ name, path: PATHS[ep], method: "POST", headers, body, ...(status === undefined ? {} : { status }) });
  };

  const junkString = (len: number): string => {
    let s = "";
    for (let i = 0; i < len; i++) s += String.fromCharCode(32 + int(95));
    return s;
  };
  /** A JSON value of a random kind; `not` excludes kinds that would be valid for the field. */
  const wrongValue = (not: ReadonlyArray<string>): unknown => {
    const kinds = ["number", "float", "negative", "string", "empty", "bool", "null", "array", "object", "nested"].filter((k) => !not.includes(k));
    switch (pick(kinds)) {
      case "number": return int(1e9) + 1;
      case "float": return int(1000) + 0.5;
      case "negative": return -1 - int(1e6);
      case "string": return junkString(1 + int(20));
      case "empty": return "";
      case "bool": return r() < 0.5;
      case "null": return null;
      case "array": return [int(10), "x", null];
      case "object": return { [junkString(5)]: int(10) };
      default: return [[[{ a: [] }]]];
    }
  };

  // 1. Bodies that are not one JSON object.
  for (let i = 0; i < 500; i++) {
    const ep = endpoint();
    const valid = JSON.stringify(validBody(ep));
    const kind = int(6);
    if (kind === 0) post(`random bytes #${i}`, ep, Uint8Array.from({ length: 1 + int(300) }, () => int(256)), 400);
    else if (kind === 1) post(`truncated JSON #${i}`, ep, valid.slice(0, 1 + int(valid.length - 1)), 400);
    else if (kind === 2) post(`non-object JSON #${i}`, ep, pick(["[]", "[{}]", "1", "-0", '"s"', "null", "true", "1e999", `[${valid}]`]), 400);
    else if (kind === 3) post(`trailing garbage #${i}`, ep, valid + pick(["x", "}", ",", " {}", "\u0000", "//c"]), 400);
    else if (kind === 4) post(`not quite JSON #${i}`, ep, pick([valid.replaceAll('"', "'"), valid.replace(":", "="), `{${valid}}`, valid.replace("}", ",}"), "{NaN:1}", "{", ""]), 400);
    else post(`junk text #${i}`, ep, junkString(1 + int(200)), 400);
  }

  // 2. Right JSON, wrong types or values in the fields the router itself checks.
  for (let i = 0; i < 1200; i++) {
    const ep = endpoint();
    const body = validBody(ep);
    const fields =
      ep === "chat"
        ? ["model", "messages", "message-item", "role", "stream", "stream_options", "include_usage", "max_tokens", "max_completion_tokens", "n", "missing"]
        : ep === "completion"
          ? ["model", "prompt", "stream", "stream_options", "max_tokens", "n", "missing"]
          : ["model", "input", "missing", "unknown-model"];
    const field = pick(fields);
    let status: number | undefined = 400;
    switch (field) {
      case "model": body.model = r() < 0.8 ? wrongValue(["string"]) : pick(["", "m".repeat(257 + int(5000))]); break;
      case "unknown-model": body.model = `no-such-${junkString(8)}`; status = 404; break;
      case "messages": body.messages = r() < 0.2 ? [] : wrongValue(["array", "nested", "null"]); if (body.messages === null) delete body.messages; break;
      case "message-item": body.messages = [{ role: "user", content: "x" }, wrongValue(["object"])]; break;
      case "role": body.messages = [{ role: wrongValue(["string"]) ?? "", content: "x" }]; break;
      case "stream": body.stream = wrongValue(["bool", "null"]); break;
      case "stream_options": if (r() < 0.5) body.stream_options = { include_usage: true }; else { body.stream = true; body.stream_options = wrongValue(["object", "null"]); } break;
      case "include_usage": body.stream = true; body.stream_options = { include_usage: wrongValue(["bool", "null"]) }; break;
      case "max_tokens": case "max_completion_tokens": case "n": {
        const absurd = pick([0, -1, -0.5, 1.5, 1e300, -1e300, 2 ** 53, 2 ** 53 + 2, 8193 + int(1e9), "10", [5], { v: 5 }, true]);
        // n above 16 is refused by the router; max_tokens up to the context length is legal.
        body[field] = field === "n" && typeof absurd === "number" && absurd > 0 && absurd < 17 ? 17 + int(1e6) : absurd;
        break;
      }
      case "prompt": case "input": body[field] = pick([int(100), 1.5, {}, [], [1.5], [[]], [true], ["a", 1], [[1], "a"], null, [null]]); if (body[field] === null) delete body[field]; break;
      default: delete body[pick(ep === "chat" ? ["model", "messages"] : ep === "completion" ? ["model", "prompt"] : ["model", "input"])];
    }
    post(`wrong ${field} (${ep}) #${i}`, ep, JSON.stringify(body), status);
  }

  // 3. Deep nesting anywhere in the body, from one level over the limit to a million.
  for (let i = 0; i < 60; i++) {
    const ep = endpoint();
    const depth = pick([65, 66, 100, 1000, 10_000, 100_000, 1_000_000]);
    const nest = r() < 0.5 ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
    const valid = JSON.stringify(validBody(ep));
    const body = `${valid.slice(0, -1)},"${pick(["metadata", "tools", "x"])}":${nest}}`;
    // A million levels of objects is also over the size limit, which is checked first.
    post(`nested ${depth} deep (${ep}) #${i}`, ep, body, body.length > maxBodyBytes ? 413 : 400);
  }

  // 4. Invalid UTF-8 inside otherwise valid JSON strings.
  const BAD_UTF8 = [[0xff], [0xc0, 0xaf], [0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe, 0xfe], [0xc3]];
  for (let i = 0; i < 300; i++) {
    const ep = endpoint();
    const text = enc.encode(JSON.stringify(validBody(ep)));
    const quote = [...text.keys()].filter((k) => text[k] === 0x22);
    const at = (quote[int(quote.length - 1)] ?? 1) + 1;
    const bad = pick(BAD_UTF8);
    post(`invalid UTF-8 ${bad.map((b) => b.toString(16)).join(" ")} (${ep}) #${i}`, ep, Uint8Array.from([...text.slice(0, at), ...bad, ...text.slice(at)]), 400);
  }

  // 5. Keys of every wrong shape, and hostile Authorization headers.
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const tail = (n: number): string => Array.from({ length: n }, () => B64[int(64)]).join("");
  const keyShapes: Array<() => string> = [
    () => `Bearer sk-eir-${tail(20 + int(100))}`, // well-formed, unknown
    () => `Bearer sk-eir-${tail(int(20))}`, // too short
    () => `Bearer sk-eir-${tail(129 + int(2000))}`, // too long
    () => `Bearer sk-${tail(40)}`,
    () => `Bearer sk-proj-${tail(40)}`,
    () => `Bearer SK-EIR-${tail(40)}`,
    () => `Bearer ${tail(10 + int(60))}`,
    () => `Bearer sk-eir-${tail(10)}${pick(["+", "/", "=", ".", "%", "!", "~", "*"])}${tail(20)}`,
    () => `Bearer sk-eir-${tail(20)} sk-eir-${tail(20)}`,
    () => `Bearer sk-eir-${tail(30)}, Bearer ${validKey}`,
    () => `Bearer ${validKey}x`,
    () => `Bearer ${validKey.slice(0, -1)}`,
    () => `Bearer ${validKey.toUpperCase()}`,
    () => `Basic ${btoa(`user:${validKey}`)}`,
    () => `Token ${validKey}`,
    () => `Bearer`,
    () => `Bearer `,
    () => `Bearer\t`,
    () => validKey,
    () => `Bearer=${validKey}`,
    () => `Bearer sk-eir-${"A".repeat(60_000 + int(60_000))}`, // oversized header
    () => `Bearer ${junkString(1 + int(300))}`,
  ];
  for (let i = 0; i < 700; i++) {
    const ep = endpoint();
    const shape = int(keyShapes.length);
    const headers: Record<string, string> = { authorization: keyShapes[shape]!(), "content-type": "application/json" };
    post(`bad key shape ${shape} (${ep}) #${i}`, ep, JSON.stringify(validBody(ep)), 401, headers);
  }
  for (let i = 0; i < 50; i++) {
    cases.push({ name: `models with bad key #${i}`, path: pick(["/v1/models", "/v1/models/test-chat"]), method: "GET", headers: { authorization: pick(keyShapes)() }, status: 401 });
  }
  for (let i = 0; i < 30; i++) {
    const ep = endpoint();
    post(`no Authorization (${ep}) #${i}`, ep, JSON.stringify(validBody(ep)), 401, { "content-type": "application/json" });
  }

  // 6. Hostile headers around a request that is itself refused (bad key or bad body):
  //    injection-shaped values, oversized values, hundreds of headers.
  for (let i = 0; i < 150; i++) {
    const ep = endpoint();
    const headers: Record<string, string> = { ...auth };
    const kind = int(4);
    if (kind === 0) headers["x-request-id"] = pick(["a\tb", "<script>alert(1)</script>", "x".repeat(10_000), "id; drop table", "../../etc/passwd", "%0d%0aSet-Cookie: a=b"]);
    else if (kind === 1) for (let h = 0; h < 200; h++) headers[`x-h-${h}`] = junkString(50);
    else if (kind === 2) headers["x-big"] = "b".repeat(100_000 + int(100_000));
    else headers["content-type"] = pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16", junkString(30)]);
    if (r() < 0.5) post(`hostile headers ${kind}, bad key (${ep}) #${i}`, ep, JSON.stringify(validBody(ep)), 401, { ...headers, authorization: `Bearer sk-eir-${tail(40)}` });
    else post(`hostile headers ${kind}, bad body (${ep}) #${i}`, ep, `{"model":${int(100)}}`, 400, headers);
  }

  // 7. Oversized bodies, declared and undeclared.
  for (let i = 0; i < 4; i++) {
    const ep = endpoint();
    const size = maxBodyBytes + 1 + int(1000);
    const big = `{"model":"${MODELS[ep]}","x":"${"a".repeat(size)}"}`;
    post(`oversized declared body (${ep}) #${i}`, ep, big, 413);
    post(`oversized streamed body (${ep}) #${i}`, ep, () => chunked(enc.encode(big)), 413);
  }
  return cases;
}

/** A body without a Content-Length, in 64 KiB chunks, as a chunked upload arrives. */
function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 65_536));
      at += 65_536;
    },
  });
}
