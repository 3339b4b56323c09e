// The trace receiver's control plane, seen from workerd (TRACE_RECEIVER_URL).

import { env } from "cloudflare:workers";
import type { DecodedSpan } from "../support/otlp-decode.ts";
import type { Received, ReceiverBehaviour } from "../support/trace-receiver.ts";

export const RECEIVER = (): string => (env as unknown as { TRACE_RECEIVER_URL: string }).TRACE_RECEIVER_URL;

export async function received(experiment: string): Promise<Received> {
  return (await fetch(`${RECEIVER()}/_recv/received?experiment=${encodeURIComponent(experiment)}`)).json();
}

export async function behave(experiment: string, b: ReceiverBehaviour): Promise<void> {
  await fetch(`${RECEIVER()}/_recv/config`, { method: "POST", body: JSON.stringify({ experiment, ...b }) });
}

/** Polls until `n` spans arrived for the experiment (the exporter batches for up to a second). */
export async function spansOf(experiment: string, n = 1, tries = 150): Promise<DecodedSpan[]> {
  for (let i = 0; i < tries; i++) {
    const r = await received(experiment);
    if (r.spans.length >= n) return r.spans;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`expected ${n} spans for experiment ${experiment}, got ${(await received(experiment)).spans.length}`);
}

export const attr = (s: DecodedSpan, key: string): unknown => {
  const v = s.attributes[key];
  if (v === undefined) return undefined;
  if ("string" in v) return v.string;
  if ("int" in v) return Number(v.int);
  if ("double" in v) return v.double;
  if ("bool" in v) return v.bool;
  return v.other;
};

export const jsonAttr = (s: DecodedSpan, key: string): unknown => {
  const v = attr(s, key);
  return typeof v === "string" ? JSON.parse(v) : undefined;
};

let seq = 0;
/** An experiment id no other test uses. */
export const freshExperiment = (name: string): string => `${name}-${++seq}-${crypto.randomUUID().slice(0, 8)}`;
