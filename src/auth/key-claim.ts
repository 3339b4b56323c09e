// Who owns a secret across all projects: the pure decision of a key-claim object, one per
// key hash. Pure: the current holder and the clock come in as arguments.

/** The key that holds a secret's hash. */
export interface Holder {
  project_id: string;
  key_id: string;
  /** Unix milliseconds. */
  claimed_at: number;
}

/**
 * A claim this young is never questioned: its project may still be committing the key.
 * An older one whose project no longer has the key (a crash between claim and commit, or a
 * release that did not arrive) is taken over, after asking that project.
 */
export const CLAIM_SETTLE_MS = 60_000;

export type ClaimDecision = "grant" | "refuse" | "ask_holder";

export function decideClaim(held: Holder | null, project_id: string, key_id: string, now: number): ClaimDecision {
  if (held === null) return "grant";
  // The same key asking again (a retried create or rotation) keeps its claim.
  if (held.project_id === project_id && held.key_id === key_id) return "grant";
  return now - held.claimed_at < CLAIM_SETTLE_MS ? "refuse" : "ask_holder";
}

/** A project's key asking for, or giving back, a secret's hash. */
export interface ClaimInput {
  hash: string;
  project_id: string;
  key_id: string;
}
