// An origin's body whose first chunk was already read (to know the origin is producing).

export interface OriginBody {
  first: Uint8Array;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  /** The stream `reader` reads, for a consumer that reads it another way (the relay: BYOB). */
  stream?: ReadableStream<Uint8Array>;
}
