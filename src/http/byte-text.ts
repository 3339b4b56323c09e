// Bytes as text, written once: hex for key hashes and signing secrets, base64 for keys,
// sealed credentials and Basic auth.

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex, two digits a byte; a table, as key hashes are on every request's path. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}

/** Standard base64 with padding (btoa takes one character per byte). */
export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
