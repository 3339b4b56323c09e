// CPU time and resident memory of a process, read from Linux's /proc, and how to find
// the workerd process that Miniflare starts.

import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on every Linux we run on (getconf CLK_TCK)
const PAGE_BYTES = 4096;

/** The fields after the command name, which may itself contain spaces and parentheses. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** User plus system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  // After the name: state(0) ppid(1) ... utime(11) stime(12)
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
}

export function rssBytes(pid: number): number {
  const statm = readFileSync(`/proc/${pid}/statm`, "utf8").split(" ");
  return Number(statm[1]) * PAGE_BYTES;
}

/** The direct child of `parent` running `command`, e.g. the workerd that Miniflare spawned. */
export function findChild(parent: number, command: string): number | null {
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (name === command && Number(statFields(pid)[1]) === parent) return pid;
    } catch {
      // The process ended while we looked.
    }
  }
  return null;
}
