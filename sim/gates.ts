// Lock-step streams for tests that must tell "relayed as it came" from "held back": an origin
// stream with `sim.gate` set writes token k only once the client reported (POST /_sim/gate)
// that it has received k tokens, so a relay that holds a token back deadlocks, whatever the
// timing, instead of merely delivering late.

export interface Gates {
  /** Resolves true once the client of `gate` has seen `count` tokens, false if `signal` aborts first. */
  seen(gate: string, count: number, signal: AbortSignal): Promise<boolean>;
  /** The client of `gate` has received `count` tokens. */
  report(gate: string, count: number): void;
  clear(): void;
}

export function gates(): Gates {
  const counts = new Map<string, number>();
  const waiting = new Map<string, Set<() => void>>();
  const wake = (gate: string): void => {
    for (const w of waiting.get(gate) ?? []) w();
  };
  return {
    seen(gate, count, signal) {
      return new Promise((resolve) => {
        const check = (): void => {
          if (signal.aborted || (counts.get(gate) ?? 0) >= count) {
            waiting.get(gate)?.delete(check);
            signal.removeEventListener("abort", check);
            resolve(!signal.aborted);
          }
        };
        if (!waiting.has(gate)) waiting.set(gate, new Set());
        waiting.get(gate)!.add(check);
        signal.addEventListener("abort", check, { once: true });
        check();
      });
    },
    report(gate, count) {
      counts.set(gate, Math.max(count, counts.get(gate) ?? 0));
      wake(gate);
    },
    clear: () => counts.clear(),
  };
}
