// A simulated origin used only by the metering tests, so its counters of generated
// tokens are theirs alone while other test files run in parallel.

import type { TestProject } from "vitest/node";
import { startSimOrigin } from "../../sim/origin.ts";

declare module "vitest" {
  export interface ProvidedContext {
    meterOriginUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sim = await startSimOrigin({ region: "eu-central" });
  project.provide("meterOriginUrl", sim.url);
  return () => sim.close();
}
