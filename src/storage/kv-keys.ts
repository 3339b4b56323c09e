// Every key of the KV namespace, who writes it and how long it lives: the one list a
// reviewer checks against docs/storage.md. Values are plain JSON; none holds content.

/** The model catalog document. Written by `catalog:push` (validated first); no expiry. */
export const CATALOG_KEY = "catalog";

/** The cron's latest origin probes. Rewritten every minute; readers ignore it after 5 minutes. */
export const HEALTH_KEY = "origin-health";

/**
 * A key record by the SHA-256 of its secret. Written and deleted by the project's object;
 * a key with an expiry gets a KV expiration a grace period after it.
 */
const KEY_INDEX_PREFIX = "key:";
export const keyIndexKey = (hash: string): string => `${KEY_INDEX_PREFIX}${hash}`;
/** The hash a key-record entry's name holds, or null for another entry. */
export const hashOfKeyIndexKey = (name: string): string | null => (name.startsWith(KEY_INDEX_PREFIX) ? name.slice(KEY_INDEX_PREFIX.length) : null);

/** One empty entry per project, for the operators' list. Written once at creation; no expiry. */
export const PROJECT_INDEX_PREFIX = "project:";
export const projectIndexKey = (id: string): string => `${PROJECT_INDEX_PREFIX}${id}`;

/** A settle batch its limiter object could not take. Written by the Worker, deleted by the cron once delivered. */
export const PARKED_PREFIX = "settle-parked:";
export const parkedKey = (batchId: string): string => `${PARKED_PREFIX}${batchId}`;
