// What npm start's Node front (scripts/dev-front.ts) and front Worker (worker.ts) agree on.

/** Header with which the Node front names a request; never reaches the router. */
export const ID_HEADER = "x-dev-front-id";
/** Path of the Node front's "client left" call; answered by the front Worker, never forwarded. */
export const CANCEL_PREFIX = "/__dev_front/cancel/";
