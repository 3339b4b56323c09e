// The browser tests drive the router that `npm start`'s script serves, started on free ports
// exactly as the e2e tests start it.

export { default } from "../e2e/global-setup.ts";
