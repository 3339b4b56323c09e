// The edge's copy of each tracing project's destination, by project and tracing version:
// a tracing project costs one object call per isolate and change; others never get here.

import type { EdgeTracing } from "./destination.ts";
import { projectStub } from "../projects/wire.ts";

const MAX_ENTRIES = 1_000;
const cache = new Map<string, Promise<EdgeTracing | null>>();

/** Null when the destination cannot be read now: the request goes on untraced. */
export function destinationFor(env: Env, projectId: string, version: number): Promise<EdgeTracing | null> {
  const key = `${projectId}\n${version}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  if (cache.size >= MAX_ENTRIES) cache.clear();
  const read = projectStub(env, projectId)
    .tracingForEdge()
    .then((t) => (t !== null && t.version >= version ? t : null))
    .catch(() => {
      cache.delete(key);
      return null;
    });
  cache.set(key, read);
  return read;
}

export function forgetDestination(projectId: string): void {
  for (const k of cache.keys()) if (k.startsWith(`${projectId}\n`)) cache.delete(k);
}
