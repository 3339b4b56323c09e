// The operators' credential: a Worker secret, compared without leaking timing.

import { bearerToken } from "./api-key.ts";

const enc = new TextEncoder();
const sha256 = async (s: string): Promise<ArrayBuffer> => crypto.subtle.digest("SHA-256", enc.encode(s));

/** Equal-length digests make the comparison independent of where the strings differ. */
export async function secretEquals(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(given), sha256(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** True when the request carries the admin token; an unset token admits nobody. */
export async function isAdmin(request: Request, env: Env): Promise<boolean> {
  const expected = env.ADMIN_TOKEN;
  if (typeof expected !== "string" || expected.length < 16) return false;
  const token = bearerToken(request);
  return token !== null && token !== "" && (await secretEquals(token, expected));
}
