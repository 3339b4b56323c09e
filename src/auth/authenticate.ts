// Turns the Authorization header into the key's record, or a 401/403 in OpenAI's shape.
//
// KV by key hash is the first read, so unknown and malformed keys never reach a Durable
// Object. A key KV knows is then confirmed with its project's object (strongly
// consistent), and an isolate trusts that answer for KEY_TRUST_MS. KV alone can lag
// ~60 s across locations; the confirmation is what bounds revocation.

import type { ApiError } from "../openai/errors.ts";
import { keyIndexKey } from "../storage/kv-keys.ts";
import { bearerToken, hashKey, isWellFormedKey } from "./api-key.ts";
import { expiredApiKey, insufficientScope, invalidApiKey, keyCheckUnavailable, missingApiKey, projectSuspended } from "./errors.ts";
import { parseKeyRecord, type KeyRecord, type Scope } from "./key-record.ts";

/**
 * The revocation bound: a deleted, rotated, re-scoped or suspended key is refused at
 * every edge location at most this long after the change (expiry is exact: it is checked
 * against the clock on every request).
 */
export const KEY_TRUST_MS = 5_000;
const CACHE_MAX = 10_000;
/**
 * How long "no such key" is remembered: long enough to absorb a burst with one bad key,
 * short so that a key used a moment before it was created works a second later.
 */
export const UNKNOWN_KEY_MS = 1_000;

/**
 * How long before its trust ends a key in use is confirmed again, beside the request that
 * found it near the end: an active key then never waits for its object on the hot path.
 * The new answer is trusted from when it was asked, so the revocation bound is unchanged.
 */
export const KEY_REFRESH_AHEAD_MS = 1_000;

interface Entry {
  record: Promise<KeyRecord | null>;
  /** The KV record `record` is confirming, for a request that goes ahead while it is out (authenticateAhead). */
  indexed?: Promise<KeyRecord | null>;
  until: number;
  hash: string;
  /** The record resolved to a key (only those are confirmed ahead; unknown keys just expire). */
  known: boolean;
  /** The confirmation asked ahead, until its answer replaces this entry. */
  next?: { record: Promise<KeyRecord | null>; askedAt: number };
}
const cache = new Map<string, Entry>();


const expired = (r: KeyRecord, now: number): boolean => r.expires_at !== null && r.expires_at * 1000 <= now;

const readIndex = async (env: Env, hash: string): Promise<KeyRecord | null> => parseKeyRecord(await env.KV.get(keyIndexKey(hash), "json"));

async function confirm(env: Env, hash: string, indexed: KeyRecord | null, now: number): Promise<KeyRecord | null> {
  // An expired key stays expired at the object too (renewing rewrites KV), so no call is needed.
  if (indexed === null || expired(indexed, now)) return indexed;
  const stub = env.PROJECTS.get(env.PROJECTS.idFromName(indexed.project_id));
  try {
    return parseKeyRecord(await stub.confirmKey(hash));
  } catch (err) {
    console.log(JSON.stringify({ level: "error", event: "key_confirm_failed", project_id: indexed.project_id, error: String(err) }));
    // Fail closed: without the authority's word a revoked key could slip through.
    throw keyCheckUnavailable();
  }
}

/** The KV read and the object's confirmation of it, both kept (the first for authenticateAhead). */
function resolve(env: Env, hash: string, now: number): { record: Promise<KeyRecord | null>; indexed: Promise<KeyRecord | null> } {
  const indexed = readIndex(env, hash);
  return { record: indexed.then((r) => confirm(env, hash, r, now)), indexed };
}

/** Installs `record`, asked at `askedAt`, as the entry for `token` (unless the cache moved on meanwhile). */
function remember(token: string, hash: string, asked: { record: Promise<KeyRecord | null>; indexed?: Promise<KeyRecord | null> }, askedAt: number, replaces?: Entry): Entry {
  const { record } = asked;
  const entry: Entry = { record, until: askedAt + KEY_TRUST_MS, hash, known: false };
  if (asked.indexed !== undefined) entry.indexed = asked.indexed;
  if (replaces === undefined || cache.get(token) === replaces) cache.set(token, entry);
  record.then(
    (r) => {
      // Answered: from now on the object's word is what requests read.
      delete entry.indexed;
      if (r === null) entry.until = askedAt + UNKNOWN_KEY_MS;
      else entry.known = true;
    },
    () => {
      if (cache.get(token) === entry) cache.delete(token);
    },
  );
  return entry;
}

/** What keeps a confirmation asked ahead alive: the request's context (no closure per request). */
type KeepAlive = Pick<ExecutionContext, "waitUntil">;

/** Confirms a trusted key again before its window ends; the request goes on with the current answer. */
function confirmAhead(env: Env, token: string, hit: Entry, now: number, keepAlive: KeepAlive): void {
  const { record } = resolve(env, hit.hash, now);
  hit.next = { record, askedAt: now };
  const landed = record.then(
    () => void remember(token, hit.hash, { record }, now, hit),
    () => void (hit.next = undefined),
  );
  keepAlive.waitUntil(landed);
}

/**
 * Concurrent requests with one key share one lookup; a failed lookup is not remembered.
 * Entries are found by the key as presented, so a hit costs no hash: the secret stays
 * only in this isolate's memory, as long as the record is trusted, never in storage.
 * With `keepAlive` (the request's context), a key in use is confirmed ahead of its window's end.
 */
async function lookup(env: Env, token: string, now: number, keepAlive?: KeepAlive): Promise<Pick<Entry, "record" | "indexed">> {
  const hit = cache.get(token);
  if (hit && hit.until > now) {
    if (keepAlive && hit.known && hit.next === undefined && hit.until - now <= KEY_REFRESH_AHEAD_MS) confirmAhead(env, token, hit, now, keepAlive);
    return hit;
  }
  // The window ended while the confirmation asked ahead is still out: its answer is the one.
  if (hit?.next && now - hit.next.askedAt < KEY_TRUST_MS) return hit.next;
  const hash = await hashKey(token);
  // The lookup starts here, in this request's own flow. Started from a promise callback
  // instead, it failed under the bench's stream load with workerd's "Cannot perform I/O
  // on behalf of a different request" (I/O belongs to the request that starts it).
  const raced = cache.get(token);
  if (raced && raced.until > now) return raced;
  if (cache.size >= CACHE_MAX) cache.clear();
  return remember(token, hash, resolve(env, hash, now), now);
}

/** Why a key's record is refused, or null: the checks every request's key passes. */
function refusal(record: KeyRecord | null, now: number): ApiError | null {
  if (record === null) return invalidApiKey();
  if (expired(record, now)) return expiredApiKey();
  return record.project_status === "suspended" ? projectSuspended() : null;
}

function admissible(record: KeyRecord | null, now: number): KeyRecord {
  const refused = refusal(record, now);
  if (refused !== null) throw refused;
  return record!;
}

function wellFormedToken(request: Request): string {
  const token = bearerToken(request);
  if (token === null) throw missingApiKey();
  // Malformed keys are refused before any hashing or storage read.
  if (!isWellFormedKey(token)) throw invalidApiKey();
  return token;
}

/** `keepAlive`: the request's context, so that a key in use can be confirmed ahead (the inference path). */
export async function authenticate(request: Request, env: Env, now = Date.now(), keepAlive?: KeepAlive): Promise<KeyRecord> {
  const token = wellFormedToken(request);
  return admissible(await (await lookup(env, token, now, keepAlive)).record, now);
}

/**
 * A key as KV has it, while its project's object is still asked: `confirmed` is then the
 * object's word (or the refusal authenticate would throw), and the request may do
 * everything that leaves nothing outside it (its admission, given back if the word goes
 * against it) but must wait for that word before anything goes to an origin.
 * `confirmed` is null when `key` is the object's word already: the isolate trusts the key,
 * or KV's record would be refused, so the word was waited for.
 */
export interface KeyAhead {
  key: KeyRecord;
  confirmed: Promise<KeyRecord> | null;
}

/** authenticate, without waiting for the object when KV knows the key (the inference path). */
export async function authenticateAhead(request: Request, env: Env, now: number, keepAlive: KeepAlive): Promise<KeyAhead> {
  const token = wellFormedToken(request);
  const found = await lookup(env, token, now, keepAlive);
  // The usual case: the object's word is in (or asked ahead), so there is nothing to go ahead of.
  if (found.indexed === undefined) return { key: admissible(await found.record, now), confirmed: null };
  const indexed = await found.indexed;
  const confirmed = found.record.then((r) => admissible(r, now));
  // Nobody may be waiting on it yet when it is refused: that is no unhandled rejection.
  confirmed.catch(() => {});
  // A record KV does not admit gets the object's word first, as authenticate would; and
  // an answer already in needs no going ahead.
  if (refusal(indexed, now) !== null || found.indexed === undefined) return { key: await confirmed, confirmed: null };
  return { key: indexed!, confirmed };
}

/** Whether two readings of a key's record say the same in every field. */
export const sameRecord = (a: KeyRecord, b: KeyRecord): boolean => JSON.stringify(a) === JSON.stringify(b);

export function requireScope(record: KeyRecord, scope: Scope): void {
  if (!record.scopes.includes(scope)) {
    throw insufficientScope(scope);
  }
}

/**
 * Forgets every key this isolate trusts: called after a key or project change, so the
 * isolate that made it applies it at once (others within KEY_TRUST_MS). Changes are rare;
 * re-confirming the isolate's active keys costs one object call each. Tests use it too.
 */
export function resetKeyCache(): void {
  cache.clear();
}
