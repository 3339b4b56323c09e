// API key format and hashing. Only the SHA-256 of a key is ever stored or compared.

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

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export async function hashKey(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  let out = "";
  for (const b of digest) out += HEX[b];
  return out;
}

export function generateKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return KEY_PREFIX + btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
