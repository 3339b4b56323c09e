// What capture "full" adds to a span: the inputs as MLflow renders them (messages, the prompt,
// or for embeddings only the inputs' count and sizes, never vectors) and the assembled output.

import type { Endpoint } from "../openai/inference-request.ts";
import type { AssembledChoice } from "./traced-inference.ts";
import { isObj } from "../openai/json.ts";

type Attr = [string, string];

/** Embedding inputs: a string, strings, token arrays or arrays of them; only their shape leaves. */
function embeddingInputs(input: unknown): { count: number; sizes: number[]; unit: "characters" | "tokens" } {
  const items = Array.isArray(input) && !(input.length > 0 && typeof input[0] === "number") ? input : [input];
  const tokens = items.some((i) => Array.isArray(i));
  const sizes = items.map((i) => (typeof i === "string" ? i.length : Array.isArray(i) ? i.length : 0));
  return { count: items.length, sizes, unit: tokens ? "tokens" : "characters" };
}

/** The request's parameters other than its content: safe, useful context in the trace view. */
function params(body: Record<string, unknown>, content: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (k !== content && k !== "model" && k !== "stream_options") out[k] = v;
  return out;
}

export function inputAttributes(endpoint: Endpoint, body: Record<string, unknown>): Attr[] {
  if (endpoint === "embedding") {
    const shape = embeddingInputs(body.input);
    return [["mlflow.spanInputs", JSON.stringify({ model: body.model, input: shape, ...params(body, "input") })]];
  }
  if (endpoint === "chat") {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    return [
      ["mlflow.spanInputs", JSON.stringify({ messages, ...params(body, "messages") })],
      ["gen_ai.input.messages", JSON.stringify(messages.map(genAiMessage))],
    ];
  }
  return [
    ["mlflow.spanInputs", JSON.stringify({ prompt: body.prompt ?? null, ...params(body, "prompt") })],
    ["gen_ai.input.messages", JSON.stringify([{ role: "user", parts: [{ type: "text", content: promptText(body.prompt) }] }])],
  ];
}

function promptText(p: unknown): string {
  if (typeof p === "string") return p;
  if (Array.isArray(p) && p.every((x) => typeof x === "string")) return p.join("\n");
  return JSON.stringify(p ?? "");
}

/** OpenTelemetry GenAI's message shape: role and typed parts. */
function genAiMessage(m: unknown): Record<string, unknown> {
  if (!isObj(m)) return { role: "user", parts: [] };
  const parts: Record<string, unknown>[] = [];
  if (typeof m.content === "string") parts.push({ type: "text", content: m.content });
  else if (Array.isArray(m.content)) {
    for (const p of m.content) if (isObj(p) && typeof p.text === "string") parts.push({ type: "text", content: p.text });
  }
  if (Array.isArray(m.tool_calls)) {
    for (const c of m.tool_calls) {
      if (isObj(c) && isObj(c.function)) parts.push({ type: "tool_call", id: c.id, name: c.function.name, arguments: c.function.arguments });
    }
  }
  if (typeof m.tool_call_id === "string") parts.push({ type: "tool_call_response", id: m.tool_call_id, response: m.content });
  return { role: typeof m.role === "string" ? m.role : "user", parts };
}

export function outputAttributes(endpoint: Endpoint, choices: AssembledChoice[] | null): Attr[] {
  if (endpoint === "embedding" || choices === null) return [];
  // MLflow renders an array of {role, content} as a chat; tool calls ride along per message.
  const messages = choices.map((c) => {
    const m: Record<string, unknown> = { role: c.role, content: c.content };
    if (c.tool_calls.length > 0) m.tool_calls = c.tool_calls;
    return m;
  });
  const genAi = choices.map((c) => ({
    role: c.role,
    parts: [
      ...(c.content === "" ? [] : [{ type: "text", content: c.content }]),
      ...c.tool_calls.map((t) => ({ type: "tool_call", id: t.id, name: t.function.name, arguments: t.function.arguments })),
    ],
    finish_reason: c.finish_reason ?? "",
  }));
  return [
    ["mlflow.spanOutputs", JSON.stringify(messages)],
    ["gen_ai.output.messages", JSON.stringify(genAi)],
  ];
}
