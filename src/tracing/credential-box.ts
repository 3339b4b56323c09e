// Seals a tracing credential with AES-GCM under a key derived from the TRACING_KEY Worker
// secret, bound to its project (as additional data), so a copied row opens nowhere else.

import { toBase64 } from "../http/byte-text.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function aesKey(secret: string): Promise<CryptoKey> {
  const raw = await crypto.subtle.digest("SHA-256", enc.encode(`tracing-credential:v1:${secret}`));
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

const unb64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** base64 of iv (12 bytes) || ciphertext. */
export async function seal(secret: string, projectId: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(projectId) }, await aesKey(secret), enc.encode(plaintext));
  const out = new Uint8Array(12 + ct.byteLength);
  out.set(iv);
  out.set(new Uint8Array(ct), 12);
  return toBase64(out);
}

/** Throws if the box was sealed under another key or project, or was altered. */
export async function open(secret: string, projectId: string, box: string): Promise<string> {
  const bytes = unb64(box);
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: enc.encode(projectId) }, await aesKey(secret), bytes.subarray(12));
  return dec.decode(pt);
}
