// Reads an origin's body in chunks as large as what has arrived. Every chunk crosses
// from workerd into JavaScript and back at a fixed cost, far above the cost of its
// bytes, and workerd's default reader of a fetch body returns at most 4 KiB a read (as
// measured): a fast origin's tokens should cross in as few chunks as they can.

const MIN_BYTES = 4 * 1024;
const MAX_BYTES = 64 * 1024;

export type ReadChunk = () => Promise<ReadableStreamReadResult<Uint8Array>>;
export type ChunkReader = ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader;

/**
 * A BYOB reader of `stream` if it is a byte stream (a fetch body is one), taking over from
 * a default `reader` of it, which must have no read pending; otherwise `reader`, or a
 * default reader of `stream`.
 */
export function preferByob(stream: ReadableStream<Uint8Array> | undefined, reader: ChunkReader | undefined): ChunkReader {
  if (reader instanceof ReadableStreamBYOBReader || stream === undefined) {
    if (reader === undefined) throw new TypeError("neither a stream nor a reader to read");
    return reader;
  }
  reader?.releaseLock();
  try {
    return stream.getReader({ mode: "byob" });
  } catch {
    return stream.getReader();
  }
}

/** Chunks as `reader` gives them: through `byobReads` for a BYOB reader. */
export function chunkReads(reader: ChunkReader): ReadChunk {
  return reader instanceof ReadableStreamBYOBReader ? byobReads(reader) : () => reader.read();
}

/**
 * Reads into a buffer sized to what arrives: doubled after a read that fills it (a fast
 * origin), halved after reads that use an eighth of it or less (a slow one, whose pending
 * read holds the buffer, so a slow stream keeps no more than a default read would). A
 * chunk that fills most of the buffer is handed over as it is; a small one is copied out,
 * and the buffer is read into again. Every chunk returned is the caller's to keep.
 */
export function byobReads(reader: ReadableStreamBYOBReader): ReadChunk {
  let size = MIN_BYTES;
  let spare: ArrayBuffer | null = null;
  return async () => {
    const buffer = spare !== null && spare.byteLength === size ? spare : new ArrayBuffer(size);
    spare = null;
    const { done, value } = await reader.read(new Uint8Array(buffer));
    if (done || value === undefined) return { done: true, value: undefined };
    const capacity = value.buffer.byteLength;
    let chunk = value;
    if (value.length <= capacity / 2) {
      chunk = value.slice();
      spare = value.buffer as ArrayBuffer;
    }
    if (value.length === capacity) size = Math.min(size * 2, MAX_BYTES);
    else if (value.length <= capacity / 8) size = Math.max(size / 2, MIN_BYTES);
    return { done: false, value: chunk };
  };
}
