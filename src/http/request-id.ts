// Request ids: the client's own when it is safe to echo, a fresh one otherwise.

const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFor(request: Request): string {
  const given = request.headers.get("x-request-id");
  if (given !== null && VALID.test(given)) return given;
  return `req_${crypto.randomUUID().replaceAll("-", "")}`;
}
