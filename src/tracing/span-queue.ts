// The isolate's queue of encoded spans, batched per destination: a batch is due when it
// holds MAX_BATCH spans or its oldest span has waited MAX_WAIT_MS. Memory is bounded by span
// count and bytes, counting batches still being sent; beyond that a span is dropped and
// counted. Pure: `now` comes in as an argument.

export interface QueueLimits {
  maxBatch: number;
  maxWaitMs: number;
  /** Spans queued or in flight, across destinations. */
  maxSpans: number;
  maxBytes: number;
}

export const DEFAULT_LIMITS: QueueLimits = { maxBatch: 100, maxWaitMs: 1_000, maxSpans: 2_000, maxBytes: 8 * 1024 * 1024 };

export interface Batch<D> {
  destination: D;
  spans: Uint8Array[];
  bytes: number;
}

interface Pending<D> extends Batch<D> {
  /** When each span arrived, oldest first: the first one sets the batch's deadline. */
  times: number[];
}

export interface QueueStats {
  queued: number;
  inFlight: number;
  bytes: number;
  /** Spans refused because the queue was full. */
  droppedFull: number;
  /** Spans of batches given up on after their retries. */
  droppedFailed: number;
}

export class SpanQueue<D> {
  readonly #pending = new Map<string, Pending<D>>();
  #queuedSpans = 0;
  #inFlightSpans = 0;
  #heldBytes = 0;
  #droppedFull = 0;
  #droppedFailed = 0;

  readonly #limits: QueueLimits;

  constructor(limits: QueueLimits = DEFAULT_LIMITS) {
    this.#limits = limits;
  }

  /** False (and counted) when the queue is at its bound: the span is dropped. */
  add(key: string, destination: D, span: Uint8Array, now: number): boolean {
    const held = this.#queuedSpans + this.#inFlightSpans;
    if (held >= this.#limits.maxSpans || this.#heldBytes + span.length > this.#limits.maxBytes) {
      this.#droppedFull++;
      return false;
    }
    let p = this.#pending.get(key);
    if (p === undefined) {
      p = { destination, spans: [], bytes: 0, times: [] };
      this.#pending.set(key, p);
    }
    p.spans.push(span);
    p.times.push(now);
    p.bytes += span.length;
    this.#queuedSpans++;
    this.#heldBytes += span.length;
    return true;
  }

  /** When the next batch falls due, or null if nothing waits. */
  nextDueAt(): number | null {
    let at: number | null = null;
    for (const p of this.#pending.values()) {
      const since = p.times[0]!;
      const due = p.spans.length >= this.#limits.maxBatch ? since : since + this.#limits.maxWaitMs;
      if (at === null || due < at) at = due;
    }
    return at;
  }

  /** Takes the batches due at `now` (all of them if `all`); their spans count as in flight until settled. */
  take(now: number, all = false): Batch<D>[] {
    const out: Batch<D>[] = [];
    for (const [key, p] of this.#pending) {
      while (p.spans.length >= this.#limits.maxBatch) out.push(this.#split(p, this.#limits.maxBatch));
      if (p.spans.length > 0 && (all || now - p.times[0]! >= this.#limits.maxWaitMs)) out.push(this.#split(p, p.spans.length));
      if (p.spans.length === 0) this.#pending.delete(key);
    }
    return out;
  }

  #split(p: Pending<D>, n: number): Batch<D> {
    const spans = p.spans.splice(0, n);
    p.times.splice(0, n);
    const bytes = spans.reduce((sum, s) => sum + s.length, 0);
    p.bytes -= bytes;
    this.#queuedSpans -= spans.length;
    this.#inFlightSpans += spans.length;
    return { destination: p.destination, spans, bytes };
  }

  /** A taken batch is done with: delivered, or (delivered false) dropped and counted. */
  settle(batch: Batch<D>, delivered: boolean): void {
    this.#inFlightSpans -= batch.spans.length;
    this.#heldBytes -= batch.bytes;
    if (!delivered) this.#droppedFailed += batch.spans.length;
  }

  stats(): QueueStats {
    return {
      queued: this.#queuedSpans,
      inFlight: this.#inFlightSpans,
      bytes: this.#heldBytes,
      droppedFull: this.#droppedFull,
      droppedFailed: this.#droppedFailed,
    };
  }
}
