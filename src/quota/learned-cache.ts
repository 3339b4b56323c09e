// Per isolate: each limiter's learned reservation per choice, as its object last said
// (in an acquire's answer or a settle batch's), for the requests served from a lease.

const learned = new Map<string, number>();
const MAX = 10_000;

export const learnedFor = (name: string): number | undefined => learned.get(name);

export function rememberLearned(name: string, perChoice: number | undefined): void {
  if (perChoice === undefined) return;
  if (learned.size >= MAX) learned.clear();
  learned.set(name, perChoice);
}
