// PROFILE_PERF=1 for bench:profile: where workerd's CPU goes as Linux's `perf` samples it.
// V8's own profiler samples the isolate's thread on the wall clock and charges a native
// call, or a wait, to the JavaScript frame that made it, several times over here (timers and
// console.log most); `perf` samples the process's real CPU. workerd is started with V8's
// perf map (`--perf-basic-prof`), so JavaScript frames have names, and each sample is charged
// to the nearest JavaScript function on its stack, the runtime calls it made included, or
// to the runtime or the collector when no JavaScript is on it.

import { execFileSync, spawn } from "node:child_process";

/** V8 flags for workerd (Miniflare passes MINIFLARE_WORKERD_V8_FLAGS on): name JS frames for perf. */
export const PERF_V8_FLAGS = "--perf-basic-prof --interpreted-frames-native-stack";

export function perfAvailable(): boolean {
  try {
    execFileSync("perf", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Starts sampling `pid` at 4 kHz with call stacks into `file`; the returned function stops it. */
export async function perfRecord(pid: number, file: string): Promise<() => Promise<void>> {
  const perf = spawn("perf", ["record", "-F", "4000", "-g", "-o", file, "-p", String(pid)], { stdio: "ignore" });
  const exited = new Promise((resolve) => perf.once("exit", resolve));
  // perf needs a moment to attach before the load starts.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return async () => {
    perf.kill("SIGINT");
    await exited;
  };
}

const GC = /Heap|Scaveng|MarkCompact|Sweep|cppgc|ConcurrentMarking|MinorMS/;

/** Samples per owner: the nearest JavaScript function (`name file:line`), "(runtime)" or "(collector)". */
export function attribute(file: string): { owners: Map<string, number>; samples: number } {
  const script = execFileSync("perf", ["script", "-i", file, "-F", "ip,sym"], { maxBuffer: 1 << 30, encoding: "utf8" });
  const owners = new Map<string, number>();
  let samples = 0;
  for (const stack of script.split("\n\n")) {
    // Each line: address, symbol; the leaf first.
    const syms = stack
      .split("\n")
      .map((l) => l.trim().split(" ").slice(1).join(" "))
      .filter((s) => s !== "");
    if (syms.length === 0) continue;
    samples++;
    const js = syms.find((s) => s.startsWith("JS:"));
    const owner = js !== undefined ? js.replace(/^JS:[~^+*']*/, "") : syms.some((s) => GC.test(s)) ? "(collector)" : "(runtime)";
    owners.set(owner, (owners.get(owner) ?? 0) + 1);
  }
  return { owners, samples };
}
