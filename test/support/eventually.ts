// Polling instead of sleeping: a test waits for the state it needs, not for a guessed time.

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Reads until `ok` holds or `tries` more reads were made, `every` ms apart, and returns the
 * last value read: the caller asserts on it, so a timeout fails with the value it saw.
 */
export async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, tries = 100, every = 20): Promise<T> {
  let v = await read();
  for (let i = 0; i < tries && !ok(v); i++) {
    await sleep(every);
    v = await read();
  }
  return v;
}
