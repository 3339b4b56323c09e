// Starts the simulated GPU origin in Node for the workerd tests, and tells them its URL.

import type { TestProject } from "vitest/node";
import { startSimOrigin } from "../../sim/origin.ts";

declare module "vitest" {
  export interface ProvidedContext {
    simOriginUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sim = await startSimOrigin({ region: "eu-central" });
  project.provide("simOriginUrl", sim.url);
  return () => sim.close();
}
