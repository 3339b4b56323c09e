// One object per key hash: the single, strongly consistent authority on which project's key
// holds a secret. A project's object claims the hash before it commits a key and releases
// it after a delete or rotation, so no two projects can commit the same secret.

import { DurableObject } from "cloudflare:workers";
import { keyIndexKey } from "../src/storage/kv-keys.ts";
import { migrate, type Migration } from "../src/storage/migrate.ts";
import { decideClaim, type ClaimInput, type Holder } from "../src/auth/key-claim.ts";
import { parseKeyRecord } from "../src/auth/key-record.ts";

/**
 * Tables: holder, at most one row: the project and key holding this hash's secret, and
 * when it claimed it (unix ms). No row: the secret is free.
 */
const KEY_CLAIM_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: ["CREATE TABLE holder (one INTEGER PRIMARY KEY CHECK (one = 1), project_id TEXT NOT NULL, key_id TEXT NOT NULL, claimed_at INTEGER NOT NULL)"],
  },
];

export class KeyClaimObject extends DurableObject<Env> {
  constructor(state: DurableObjectState, env: Env) {
    super(state, env);
    state.blockConcurrencyWhile(async () => void migrate(state.storage, KEY_CLAIM_MIGRATIONS));
  }

  #held(): Holder | null {
    return this.ctx.storage.sql.exec<{ project_id: string; key_id: string; claimed_at: number }>("SELECT project_id, key_id, claimed_at FROM holder").toArray()[0] ?? null;
  }

  #hold(h: Holder): void {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO holder (one, project_id, key_id, claimed_at) VALUES (1, ?, ?, ?)", h.project_id, h.key_id, h.claimed_at);
  }

  /** Whether the project's object has a key with this hash now. */
  async #live(projectId: string, hash: string): Promise<boolean> {
    return (await this.env.PROJECTS.get(this.env.PROJECTS.idFromName(projectId)).confirmKey(hash)) !== null;
  }

  /**
   * A key from before claims existed is known only to KV and its project: adopt it as the
   * holder, so such a secret stays taken. KV may lag for a fresh key, never for an old one.
   */
  async #legacyHolder(hash: string): Promise<Holder | null> {
    const indexed = parseKeyRecord(await this.env.KV.get(keyIndexKey(hash), "json"));
    if (indexed === null || !(await this.#live(indexed.project_id, hash))) return null;
    return { project_id: indexed.project_id, key_id: indexed.key_id, claimed_at: 0 };
  }

  /**
   * True when the caller's key now holds the hash. Every await is followed by a fresh read:
   * the decision and the write happen in one synchronous step, so two claims never both win.
   */
  async claim(input: ClaimInput): Promise<boolean> {
    const { hash, project_id, key_id } = input;
    let decision = decideClaim(this.#held(), project_id, key_id, Date.now());
    if (decision === "grant" && this.#held() === null) {
      const legacy = await this.#legacyHolder(hash);
      if (legacy !== null && this.#held() === null) this.#hold(legacy);
      decision = decideClaim(this.#held(), project_id, key_id, Date.now());
    }
    if (decision === "ask_holder") {
      const before = this.#held()!;
      const stillLive = await this.#live(before.project_id, hash);
      const now = this.#held();
      // Someone else changed the claim meanwhile: decide again from the start.
      if (now === null || now.project_id !== before.project_id || now.key_id !== before.key_id) return this.claim(input);
      decision = stillLive ? "refuse" : "grant";
    }
    if (decision === "refuse") return false;
    this.#hold({ project_id, key_id, claimed_at: Date.now() });
    return true;
  }

  /** Gives the hash up, if this key holds it (a stale release changes nothing). */
  release(input: ClaimInput): void {
    this.ctx.storage.sql.exec("DELETE FROM holder WHERE project_id = ? AND key_id = ?", input.project_id, input.key_id);
  }

  /** The holder, for tests and operators' diagnosis. */
  holder(): Holder | null {
    return this.#held();
  }
}
