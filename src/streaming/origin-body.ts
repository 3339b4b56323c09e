// An origin's body as an attempt hands it over: a JSON answer of declared, bounded length
// read whole, or any other body with its first chunk read (to know the origin is producing).

/** Read in one native call: nothing more is to come, and no JavaScript read was made for it. */
export interface WholeBody {
  whole: Uint8Array;
}

export interface StartedBody {
  first: Uint8Array;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  /** The stream `reader` reads, for a consumer that reads it another way (the relay: BYOB). */
  stream?: ReadableStream<Uint8Array>;
  /**
   * Set when the body was tee()d before the first read (an event stream whose client's
   * copy is piped natively): the other branch, unread, the first chunk still in it.
   * `stream` is then the accounting branch. Only such a stream is tee()d, and the relay
   * always pipes it (relay.ts: the native path).
   */
  client?: ReadableStream<Uint8Array> | undefined;
}

export type OriginBody = WholeBody | StartedBody;

/** Whether a response says it is an event stream. */
export const isEventStream = (res: Response): boolean => (res.headers.get("content-type") ?? "").includes("text/event-stream");
