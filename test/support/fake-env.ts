// An `Env` whose bindings a test replaced with fakes (a limiter that is down, a KV that
// fails): fakes implement only what the code under test calls, so the one cast lives here.

/** `fields` as the Worker's Env; spread the real `env` into it to replace only some bindings. */
export function fakeEnv(fields: { [K in keyof Env]?: unknown } & Record<string, unknown>): Env {
  return fields as unknown as Env;
}

/** An ExecutionContext whose waitUntil work lands in `pending`, for a test to await. */
export function fakeExecutionContext(pending: Array<Promise<unknown>>): ExecutionContext {
  const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException: () => {}, props: {} };
  return ctx as unknown as ExecutionContext;
}
