// How a target's cost grows: CPU per request as the prompt grows (100 B, 10 KB, 200 KB),
// and CPU per token for short (100) and long (5,000) streams, read from the process that
// serves it (workerd, or the peer's Node process).

import { cpuSeconds } from "./proc.ts";
import { nonStream, promptOf, streamLoad, type Target } from "./load.ts";

export interface Growth {
  cpu_ms_per_request_prompt_100b: number;
  cpu_ms_per_request_prompt_10kb: number;
  cpu_ms_per_request_prompt_200kb: number;
  /** (200 KB - 10 KB) / 190: what each further KB of prompt costs. */
  cpu_us_per_prompt_kb: number;
  cpu_us_per_token_100_token_streams: number | null;
  cpu_us_per_token_5000_token_streams: number | null;
}

const SIZES = [100, 10 * 1024, 200 * 1024] as const;

/** Prompt phases of `seconds` each, then the stream phases, for a target whose CPU is `pid`'s. */
export async function growth(target: Target, pid: number, seconds: number): Promise<Growth> {
  const perRequest: number[] = [];
  for (const bytes of SIZES) {
    const before = cpuSeconds(pid);
    const fig = await nonStream(target, seconds, 4, { tokens: 16 }, promptOf(bytes));
    perRequest.push(((cpuSeconds(pid) - before) * 1000) / Math.max(1, fig.requests));
  }
  const perToken = async (tokens: number, count: number): Promise<number> => {
    const before = cpuSeconds(pid);
    const events = await streamLoad(target, { count, concurrency: 8, tokens, itlMs: 0 });
    return ((cpuSeconds(pid) - before) * 1e6) / Math.max(1, events);
  };
  const [p100, p10k, p200k] = perRequest as [number, number, number];
  return {
    cpu_ms_per_request_prompt_100b: p100,
    cpu_ms_per_request_prompt_10kb: p10k,
    cpu_ms_per_request_prompt_200kb: p200k,
    cpu_us_per_prompt_kb: ((p200k - p10k) * 1000) / 190,
    cpu_us_per_token_100_token_streams: await perToken(100, 400),
    cpu_us_per_token_5000_token_streams: await perToken(5000, 16),
  };
}
