// The Worker's log lines a test provokes on purpose (a limiter that is down, a corrupt
// catalog): recorded for the test to assert, kept out of the run's output. Every other
// line still prints, so an unexpected error stands out.

import { vi, type MockInstance } from "vitest";

export interface ExpectedLogs {
  /** Every line logged since `expectLogs`, expected or not. */
  lines: () => string[];
  /** The recorded lines of one event. */
  events: (event: string) => Array<Record<string, unknown>>;
  spy: MockInstance<(...args: unknown[]) => void>;
}

const eventOf = (line: string): string | null => /^\{"level":"[a-z]+","event":"([a-z_]+)"/.exec(line)?.[1] ?? null;

/** Records console.log; lines of the named events (the JSON log lines' "event") print nothing. */
export function expectLogs(expected: readonly string[]): ExpectedLogs {
  const print = console.log.bind(console);
  const recorded: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    const line = args.map((a) => (typeof a === "string" ? a : JSON.stringify(a) ?? String(a))).join(" ");
    recorded.push(line);
    const event = eventOf(line);
    if (event === null || !expected.includes(event)) print(...args);
  });
  return {
    lines: () => [...recorded],
    events: (event) => recorded.filter((l) => eventOf(l) === event).map((l) => JSON.parse(l) as Record<string, unknown>),
    spy,
  };
}
