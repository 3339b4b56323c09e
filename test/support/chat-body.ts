// The one builder of chat-completion request bodies the tests send: one user message to
// the integration catalog's chat model, any field overridable.

export interface ChatBodyFields {
  /** The model id; "test-chat" unless given. */
  model?: unknown;
  /** The one user message's content; "hi" unless given (ignored when `messages` is given). */
  content?: unknown;
  [field: string]: unknown;
}

/** `{ model, messages: [{ role: "user", content }], ...rest }`; fields in `rest` win. */
export function chatBody(fields: ChatBodyFields = {}): Record<string, unknown> {
  const { model = "test-chat", content = "hi", ...rest } = fields;
  return { model, messages: [{ role: "user", content }], ...rest };
}
