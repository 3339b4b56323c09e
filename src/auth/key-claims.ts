// The client of the key-claim objects (one per key hash): claim a secret before a key is
// committed, release it after the key is deleted or rotated. Called by projects' objects.

import type { ClaimInput } from "./key-claim.ts";

const stub = (env: Env, hash: string) => env.KEY_CLAIMS.get(env.KEY_CLAIMS.idFromName(hash));

/** true: the key holds the secret now; false: another key does; "unavailable": unknown. */
export async function claimSecret(env: Env, input: ClaimInput): Promise<boolean | "unavailable"> {
  try {
    return await stub(env, input.hash).claim(input);
  } catch (err) {
    console.log(JSON.stringify({ level: "error", event: "key_claim_failed", project_id: input.project_id, error: String(err) }));
    return "unavailable";
  }
}

/** A release that does not arrive leaves a claim that its next claimant finds stale and takes over. */
export async function releaseSecret(env: Env, input: ClaimInput): Promise<void> {
  try {
    await stub(env, input.hash).release(input);
  } catch (err) {
    console.log(JSON.stringify({ level: "error", event: "key_release_failed", project_id: input.project_id, error: String(err) }));
  }
}
