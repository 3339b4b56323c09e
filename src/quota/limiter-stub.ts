// The limiter Durable Object for a project and model, with its ids cached per isolate.

/**
 * Object ids by name, per isolate: deriving one costs a hash each time, and an id (unlike
 * a stub, which belongs to one request) may be reused by every request.
 */
const limiterIds = new Map<string, DurableObjectId>();
const LIMITER_IDS_MAX = 10_000;

export const limiterName = (projectId: string, modelId: string): string => `${projectId}/${modelId}`;

export function limiterStub(env: Env, projectId: string, modelId: string) {
  return limiterStubByName(env, limiterName(projectId, modelId));
}

/** The object for a limiter name (`<project>/<model>`), as settle batches name it. */
export function limiterStubByName(env: Env, name: string) {
  let id = limiterIds.get(name);
  if (id === undefined) {
    if (limiterIds.size >= LIMITER_IDS_MAX) limiterIds.clear();
    id = env.LIMITERS.idFromName(name);
    limiterIds.set(name, id);
  }
  return env.LIMITERS.get(id);
}
