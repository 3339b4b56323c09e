// Assembles the answer's choices (content and tool calls) for capture "full": from a whole
// JSON body, or delta by delta from a stream's chunks. Only built for projects that chose it.

import type { AssembledChoice } from "./traced-inference.ts";
import { isObj } from "../openai/json.ts";

const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** Bounds what one span may carry, so a huge answer cannot blow the exporter's memory. */
export const MAX_CAPTURED_CHARS = 64 * 1024;

function toolCalls(v: unknown): AssembledChoice["tool_calls"] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).map((c) => {
    const f = isObj(c.function) ? c.function : {};
    return { id: str(c.id), type: str(c.type) || "function", function: { name: str(f.name), arguments: str(f.arguments) } };
  });
}

/** A non-streamed chat or completion answer. */
export function choicesOfBody(body: unknown): AssembledChoice[] | null {
  if (!isObj(body) || !Array.isArray(body.choices)) return null;
  return body.choices.filter(isObj).map((c, i) => {
    const message = isObj(c.message) ? c.message : {};
    return {
      index: typeof c.index === "number" ? c.index : i,
      role: str(message.role) || "assistant",
      content: (str(message.content) || str(c.text)).slice(0, MAX_CAPTURED_CHARS),
      tool_calls: toolCalls(message.tool_calls),
      finish_reason: typeof c.finish_reason === "string" ? c.finish_reason : null,
    };
  });
}

/** Folds stream chunks (parsed `data:` JSON) into choices, as the openai client does. */
export class StreamAssembler {
  readonly #byIndex = new Map<number, AssembledChoice>();
  #chars = 0;

  chunk(data: unknown): void {
    if (!isObj(data) || !Array.isArray(data.choices)) return;
    for (const c of data.choices) {
      if (!isObj(c)) continue;
      const index = typeof c.index === "number" ? c.index : 0;
      let choice = this.#byIndex.get(index);
      if (choice === undefined) {
        choice = { index, role: "assistant", content: "", tool_calls: [], finish_reason: null };
        this.#byIndex.set(index, choice);
      }
      const delta = isObj(c.delta) ? c.delta : {};
      if (typeof delta.role === "string") choice.role = delta.role;
      this.#append(choice, str(delta.content) || str(c.text));
      if (Array.isArray(delta.tool_calls)) for (const t of delta.tool_calls) if (isObj(t)) this.#toolDelta(choice, t);
      if (typeof c.finish_reason === "string") choice.finish_reason = c.finish_reason;
    }
  }

  #append(choice: AssembledChoice, text: string): void {
    if (text === "" || this.#chars >= MAX_CAPTURED_CHARS) return;
    const part = text.slice(0, MAX_CAPTURED_CHARS - this.#chars);
    choice.content += part;
    this.#chars += part.length;
  }

  #toolDelta(choice: AssembledChoice, t: Record<string, unknown>): void {
    const i = typeof t.index === "number" ? t.index : choice.tool_calls.length;
    let call = choice.tool_calls[i];
    if (call === undefined) {
      call = { id: "", type: "function", function: { name: "", arguments: "" } };
      choice.tool_calls[i] = call;
    }
    if (typeof t.id === "string") call.id = t.id;
    const f = isObj(t.function) ? t.function : {};
    if (typeof f.name === "string") call.function.name += f.name;
    if (typeof f.arguments === "string" && this.#chars < MAX_CAPTURED_CHARS) {
      const part = f.arguments.slice(0, MAX_CAPTURED_CHARS - this.#chars);
      call.function.arguments += part;
      this.#chars += part.length;
    }
  }

  choices(): AssembledChoice[] {
    return [...this.#byIndex.values()].sort((a, b) => a.index - b.index).map((c) => ({ ...c, tool_calls: c.tool_calls.filter(Boolean) }));
  }
}
