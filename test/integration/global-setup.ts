// Starts the simulated GPU origins in Node for the workerd tests, and tells them their URLs:
// the shared one, and one dedicated instance per origin role so a test can make "this
// origin" misbehave (globally, through its control plane) without touching the others.

import type { TestProject } from "vitest/node";
import { dropHandledDisconnects } from "../support/workerd-noise.ts";
import { startSimOrigin, type SimOrigin } from "../../sim/origin.ts";

declare module "vitest" {
  export interface ProvidedContext {
    simOriginUrl: string;
    /** Role name -> URL; "closed" is a port nobody listens on. */
    originSims: Record<string, string>;
  }
}

/** Each test file owns the roles with its prefix; files run in parallel. */
const ROLES: Record<string, string> = {
  "fo-a": "eu-central",
  "fo-b": "eu-west",
  "hc-a": "eu-central",
  "hc-b": "us-east",
  "cx-a": "eu-central",
  "cx-b": "eu-west",
};


export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const restoreOutput = dropHandledDisconnects();
  const sim = await startSimOrigin({ region: "eu-central" });
  project.provide("simOriginUrl", sim.url);
  const sims: SimOrigin[] = [sim];
  // Port 1: privileged, so never handed out to a listener binding port 0. A free port chosen
  // here and released was taken by another listener during a clean-clone CI run, and the
  // tests of a refusing origin got answers from it.
  const urls: Record<string, string> = { closed: "http://127.0.0.1:1" };
  for (const [role, region] of Object.entries(ROLES)) {
    const s = await startSimOrigin({ region });
    sims.push(s);
    urls[role] = s.url;
  }
  project.provide("originSims", urls);
  return async () => {
    await Promise.all(sims.map((s) => s.close()));
    restoreOutput();
  };
}
