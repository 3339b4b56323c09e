// What a workerd isolate did while given requests were open, from a V8 CPU profile: the
// milliseconds it spent idle, in garbage collection, in native code, and in the script
// functions with the most self time. The profile's clock is V8's monotonic one, in µs,
// which on Linux is CLOCK_MONOTONIC, as Node's process.hrtime is: so the windows are the
// load generator's own send and end times.

import type { CpuProfile as Profile } from "./inspector.ts";

/** A request's lifetime on the monotonic clock, in µs. */
export interface Window {
  fromUs: number;
  toUs: number;
}

export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** What the isolate spent, in µs summed over the windows: idle, GC, native code, and script functions (the three with most self time). */
export interface Spent {
  idle: number;
  gc: number;
  native: number;
  js: number;
  top: Array<[string, number]>;
}

export function isolateDuring(profile: Profile, ...windows: Window[]): Spent {
  const names = new Map(profile.nodes.map((n) => [n.id, n.callFrame.url ? `${n.callFrame.functionName || "(anonymous)"}:${n.callFrame.lineNumber + 1}` : n.callFrame.functionName]));
  const spent = new Map<string, number>();
  const sorted = [...windows].sort((a, b) => a.fromUs - b.fromUs);
  let w = 0;
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    // A sample stands for the interval that ends at its timestamp.
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    while (w < sorted.length && sorted[w]!.toUs < t) w++;
    const win = sorted[w];
    if (win === undefined || t < win.fromUs) return;
    const name = names.get(id) ?? "?";
    spent.set(name, (spent.get(name) ?? 0) + dt);
  });
  const take = (k: string): number => {
    const v = spent.get(k) ?? 0;
    spent.delete(k);
    return v;
  };
  const idle = take("(idle)");
  const gc = take("(garbage collector)");
  const native = take("(program)");
  const js = [...spent.values()].reduce((a, b) => a + b, 0);
  return { idle, gc, native, js, top: [...spent.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3) };
}

/** "idle 3.10, gc 1.20, native 0.40, js 0.80 (limiterAdmission:12 0.30, ...)", in ms. */
export function describeSpent(s: Spent): string {
  const ms = (us: number): string => (us / 1000).toFixed(2);
  const top = s.top.map(([k, v]) => `${k} ${ms(v)}`).join(", ");
  return `idle ${ms(s.idle)}, gc ${ms(s.gc)}, native ${ms(s.native)}, js ${ms(s.js)}${top ? ` (${top})` : ""}`;
}

/** The sample intervals of one window, longest first: a single one of many ms means the sampler itself did not run (the machine did not schedule workerd). */
export function longestSampleUs(profile: Profile, win: Window): number {
  let t = profile.startTime;
  let longest = 0;
  for (const dt of profile.timeDeltas) {
    t += dt;
    if (t >= win.fromUs && t - dt <= win.toUs) longest = Math.max(longest, dt);
  }
  return longest;
}

/** Garbage collections as the profile shows them: runs of back-to-back GC samples, with their lengths in µs. */
export function gcPauses(profile: Profile): number[] {
  const gc = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(garbage collector)").map((n) => n.id));
  const pauses: number[] = [];
  let run = 0;
  profile.samples.forEach((id, i) => {
    if (gc.has(id)) run += profile.timeDeltas[i] ?? 0;
    else if (run > 0) {
      pauses.push(run);
      run = 0;
    }
  });
  if (run > 0) pauses.push(run);
  return pauses.sort((a, b) => b - a);
}
