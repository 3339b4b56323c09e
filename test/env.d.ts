// The bindings the integration tests get on top of the Worker's own (vitest.config.ts):
// typed here once, so no test casts `env`. This vitest-plugin types `env` of
// "cloudflare:workers" (and of "cloudflare:test") as Cloudflare.Env, so that is what grows;
// the Worker's code uses the global `Env`, which stays as wrangler generated it.

declare namespace Cloudflare {
  interface Env {
    /** The shared simulated origin (test/integration/global-setup.ts). */
    SIM_ORIGIN_URL: string;
    /** JSON: role name -> URL of that role's own simulated origin. */
    ORIGIN_SIMS: string;
    /** The metering tests' own simulated origin (test/integration/meter-origin-setup.ts). */
    METER_ORIGIN_URL: string;
    /** The credential the catalog's test origins name. */
    SIM_ORIGIN_TOKEN: string;
  }
}
