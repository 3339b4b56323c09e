// A minimal Chrome DevTools Protocol client for one workerd isolate, found by its Worker's
// name on workerd's inspector port: enough to profile it and to read its heap after a GC.

/** Runtime.getHeapUsage, in bytes: the V8 heap, and the embedder's (workerd's C++ objects and array buffers). */
export interface HeapUsage {
  usedSize: number;
  totalSize: number;
  embedderHeapUsedSize?: number;
  backingStorageSize?: number;
}

/** A V8 CPU profile as Profiler.stop returns it (times in µs of V8's monotonic clock). */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export class Inspector {
  #ws: WebSocket;
  #next = 1;
  #waiting = new Map<number, (v: unknown) => void>();
  constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener("message", (e) => {
      const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
      if (msg.id !== undefined) this.#waiting.get(msg.id)?.(msg.result);
    });
  }

  /** The isolate of the Worker named `worker`, on workerd's inspector port. */
  static async forWorker(port: number, worker: string): Promise<Inspector> {
    const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ id: string; title: string; webSocketDebuggerUrl: string }>;
    const target = list.find((t) => t.title.includes(worker) || t.id.includes(worker));
    if (!target) throw new Error(`no ${worker} inspector target in ${JSON.stringify(list.map((t) => t.title))}`);
    return Inspector.open(target.webSocketDebuggerUrl);
  }

  static async open(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.addEventListener("open", resolve);
      ws.addEventListener("error", reject);
    });
    return new Inspector(ws);
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) => this.#waiting.set(id, resolve as (v: unknown) => void));
  }

  /**
   * The heap in use after a full, forced garbage collection: what is really retained.
   * V8 runs the collection as a task on the isolate's thread, which an idle workerd
   * isolate only gets to with work to do, so `poke` gives it some (a cheap request).
   */
  async heapAfterGc(poke: () => Promise<unknown>): Promise<HeapUsage> {
    let collected = false;
    const gc = this.send("HeapProfiler.collectGarbage").then(() => (collected = true));
    while (!collected) await Promise.race([gc, poke().then(() => new Promise((r) => setTimeout(r, 20)))]);
    return this.send("Runtime.getHeapUsage");
  }

  /**
   * Bytes the isolate allocates per request while `run` runs (it returns how many requests
   * it sent): V8's sampling heap profiler, counting what was collected since too. Unlike CPU
   * time on this shared machine, it is the same from run to run, and it is what drives the
   * collector, whose pauses land in the one-connection tail.
   */
  async allocatedPerRequest(run: () => Promise<number>): Promise<number> {
    interface Node {
      selfSize: number;
      children?: Node[];
    }
    await this.send("HeapProfiler.enable");
    await this.send("HeapProfiler.startSampling", { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    const requests = await run();
    const { profile } = await this.send<{ profile: { head: Node } }>("HeapProfiler.stopSampling");
    const total = (n: Node): number => n.selfSize + (n.children ?? []).reduce((sum, c) => sum + total(c), 0);
    return total(profile.head) / Math.max(1, requests);
  }

  /** Starts V8's sampling profiler, a sample every `intervalUs`. */
  async startProfiler(intervalUs = 100): Promise<void> {
    await this.send("Profiler.enable");
    await this.send("Profiler.setSamplingInterval", { interval: intervalUs });
    await this.send("Profiler.start");
  }

  async stopProfiler(): Promise<CpuProfile> {
    return (await this.send<{ profile: CpuProfile }>("Profiler.stop")).profile;
  }

  close(): void {
    this.#ws.close();
  }
}
