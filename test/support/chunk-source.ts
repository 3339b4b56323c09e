// An origin body for relay tests: yields the given pieces as chunks, then ends, errors
// (a reset socket) or hangs (a stalled origin), and tells whether it was cancelled.

const enc = new TextEncoder();

export function chunkSource(pieces: string[], end: "close" | "error" | "hang" = "close"): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let i = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < pieces.length) return c.enqueue(enc.encode(pieces[i++]));
      if (end === "close") return c.close();
      if (end === "error") return c.error(new Error("socket reset"));
      return new Promise(() => {});
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}
