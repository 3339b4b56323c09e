// workerd's own report of a connection that failed under a fetch the Worker awaited and
// handled: a refused port, an origin that reset or cut its socket (the fault tests do this
// on purpose). workerd logs each as an "uncaught exception" with a native stack even though
// the Worker's code caught the rejection (a bare `try { await fetch(closedPort) } catch {}`
// prints it too), so the lines say nothing about the code under test. The vitest plugin
// drops the same family of workerd messages ("disconnected: operation canceled", ...) but
// takes no option to extend its list, so this extends it, for these messages only.

const HANDLED_DISCONNECTS = [
  "disconnected: Connection refused (os error 111)",
  "disconnected: client error (SendRequest)",
  "disconnected: HTTP body: error reading a body from connection",
  "source = Uncaught (in promise); stack = Error: Network connection lost.",
  "exception = workerd/jsg/value.h:1535: disconnected: jsg.Error: Network connection lost.",
  // A client that left a natively relayed stream: the pipe into its identity stream fails
  // with this, and the relay handles it (ends as client_closed, cancels the origin).
  "disconnected: reader canceled",
];

/** One workerd log message (the plugin writes each with one call) that is only such a report. */
export const isHandledDisconnect = (text: string): boolean => HANDLED_DISCONNECTS.some((m) => text.includes(m));

/** Drops those messages from this process's stderr and stdout, where the plugin writes workerd's logs. */
export function dropHandledDisconnects(): () => void {
  const restore: Array<() => void> = [];
  for (const stream of [process.stderr, process.stdout]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => (typeof chunk === "string" && isHandledDisconnect(chunk) ? true : write(chunk, ...rest))) as typeof stream.write;
    restore.push(() => void (stream.write = write as typeof stream.write));
  }
  return () => restore.forEach((r) => r());
}
