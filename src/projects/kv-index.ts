// Keeps the KV entries a project's object owns (its key records, its directory entry)
// equal to what its SQL says, also when a KV write fails after the SQL commit: a failed
// entry is remembered in the object's own storage and rewritten by its alarm, with
// backoff, from the SQL of that moment, so a retry always writes the current truth.

/** What a KV entry should hold now, or null for "absent". */
export interface KvEntry {
  value: string;
  /** Unix seconds. */
  expiration?: number;
}

/** Retries back off from 1 s to a minute. */
export const retryDelayMs = (attempts: number): number => Math.min(60_000, 1_000 * 2 ** Math.max(0, attempts - 1));

export const KV_SYNC_TABLE = "CREATE TABLE kv_sync (name TEXT PRIMARY KEY, attempts INTEGER NOT NULL)";

export class KvIndex {
  readonly #storage: DurableObjectStorage;
  /** Read at each write: the binding of the object's environment as it is then. */
  readonly #kv: () => KVNamespace;
  readonly #desired: (name: string) => KvEntry | null;

  constructor(storage: DurableObjectStorage, kv: () => KVNamespace, desired: (name: string) => KvEntry | null) {
    this.#storage = storage;
    this.#kv = kv;
    this.#desired = desired;
  }

  /** Writes each entry's current truth; one that fails is kept for the alarm to retry. */
  async sync(names: readonly string[]): Promise<void> {
    const failed = await this.#write(names);
    if (failed.length === 0) return;
    for (const name of failed) this.#storage.sql.exec("INSERT INTO kv_sync (name, attempts) VALUES (?, 1) ON CONFLICT (name) DO NOTHING", name);
    await this.#schedule(1);
  }

  /** The alarm's part: rewrites every pending entry, and schedules the next try for those still failing. */
  async retryPending(): Promise<void> {
    const pending = this.#storage.sql.exec<{ name: string; attempts: number }>("SELECT name, attempts FROM kv_sync").toArray();
    if (pending.length === 0) return;
    const failed = new Set(await this.#write(pending.map((p) => p.name)));
    let most = 0;
    for (const p of pending) {
      if (failed.has(p.name)) {
        this.#storage.sql.exec("UPDATE kv_sync SET attempts = attempts + 1 WHERE name = ?", p.name);
        most = Math.max(most, p.attempts + 1);
      } else {
        this.#storage.sql.exec("DELETE FROM kv_sync WHERE name = ?", p.name);
      }
    }
    if (most > 0) await this.#schedule(most);
  }

  /** Names still waiting for a successful write. */
  pending(): string[] {
    return this.#storage.sql.exec<{ name: string }>("SELECT name FROM kv_sync ORDER BY name").toArray().map((r) => r.name);
  }

  async #write(names: readonly string[]): Promise<string[]> {
    const results = await Promise.allSettled(
      names.map((name) => {
        const entry = this.#desired(name);
        if (entry === null) return this.#kv().delete(name);
        return this.#kv().put(name, entry.value, entry.expiration === undefined ? {} : { expiration: entry.expiration });
      }),
    );
    const failed: string[] = [];
    results.forEach((r, i) => {
      if (r.status === "rejected") {
        failed.push(names[i]!);
        // The entry's name holds a key hash, never a secret; the error says why KV refused.
        console.log(JSON.stringify({ level: "warn", event: "kv_index_deferred", name: names[i], error: String(r.reason) }));
      }
    });
    return failed;
  }

  async #schedule(attempts: number): Promise<void> {
    const at = Date.now() + retryDelayMs(attempts);
    const current = await this.#storage.getAlarm();
    if (current === null || current > at) await this.#storage.setAlarm(at);
  }
}
