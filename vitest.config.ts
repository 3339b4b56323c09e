// Three levels of tests: unit (pure logic, in Node), integration (the Worker in workerd
// through @cloudflare/vitest-plugin against a simulated origin; the simulated origin's own
// server in Node), e2e (the real `openai` client against `npm start`).

import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

/** The operators' credential in the integration tests (test/integration/helpers.ts has it too). */
const TEST_ADMIN_TOKEN = "test-admin-token-0123456789";
// wrangler.toml requires the secret ADMIN_TOKEN, and the integration pool reads it through
// wrangler, which takes secrets from .dev.vars, .env or the environment and warns once per
// test file when none has it. The environment is this run's .dev.vars; the binding below
// still decides the value the Worker sees, whatever the shell exported.
process.env.ADMIN_TOKEN ??= TEST_ADMIN_TOKEN;

// CI asks for a JSON report too, to print one plain summary line.
const json = process.env.VITEST_JSON;

export default defineConfig({
  test: {
    reporters: json ? ["default", ["json", { outputFile: json }]] : ["default"],
    // Request logs are the product's output, not the tests'; keep the run readable.
    onConsoleLog: (log) => !log.includes('"event":"request"') && !log.includes('"event":"origin_') && !log.includes('"event":"budget_') && !log.includes('"event":"trace_export_'),
    projects: [
      {
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                SIM_ORIGIN_URL: inject<string>("simOriginUrl"),
                ORIGIN_SIMS: JSON.stringify(inject<Record<string, string>>("originSims")),
                // Short enough for a test to watch a breaker open and recover.
                BREAKER_COOLDOWN_MS: "400",
                METER_ORIGIN_URL: inject<string>("meterOriginUrl"),
                WEBHOOK_RECEIVER_URL: inject<string>("webhookReceiverUrl"),
                SIM_ORIGIN_TOKEN: "sim-secret-token",
                ADMIN_TOKEN: TEST_ADMIN_TOKEN,
                TRACING_KEY: "test-tracing-key-0123456789",
                TRACE_RECEIVER_URL: inject<string>("traceReceiverUrl"),
              },
            },
          })),
        ],
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/integration/node/**"],
          globalSetup: ["test/integration/global-setup.ts", "test/integration/meter-origin-setup.ts", "test/integration/webhook-receiver-setup.ts", "test/integration/trace-receiver-setup.ts"],
          testTimeout: 20_000,
        },
      },
      {
        // Integration tests of Node-side parts (the simulated origin): real servers, no workerd.
        test: { name: "integration-node", include: ["test/integration/node/**/*.test.ts"], environment: "node" },
      },
      {
        test: {
          name: "e2e",
          // One router and its simulated origins serve every e2e file: files that reconfigure
          // an origin must not see another file's traffic, so they run one after another.
          fileParallelism: false,
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/e2e/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "browser",
          // The console in headless Chromium against its own `npm start` router; one file at a time.
          fileParallelism: false,
          include: ["test/browser/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/browser/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
