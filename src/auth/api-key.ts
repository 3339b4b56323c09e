// API key format and hashing. Only the SHA-256 of a key is ever stored or compared.

import { toBase64, toHex } from "../http/byte-text.ts";

/** Secret scanners can match this prefix; the rest is 32 random bytes in base64url. */
export const KEY_PREFIX = "sk-eir-";
const KEY_SHAPE = /^sk-eir-[A-Za-z0-9_-]{20,128}$/;

export const isWellFormedKey = (key: string): boolean => KEY_SHAPE.test(key);

export function bearerToken(request: Request): string | null {
  const h = request.headers.get("authorization");
  if (h === null) return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(h);
  return m ? m[1]! : "";
}

export async function hashKey(key: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key))));
}

export function generateKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return KEY_PREFIX + toBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
