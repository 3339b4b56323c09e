// What every page is given, and how a page describes itself to the navigation: adding a
// page (budgets, tracing) is one PageDef in pages/index.ts.

import type { FunctionComponent } from "preact";
import type { Identity } from "../lib/session.ts";

export interface PageProps {
  me: Identity;
  /** The project the page shows: the key's own, or the one the admin chose. */
  projectId: string | null;
  selectProject: (id: string) => void;
}

export interface PageDef {
  id: string;
  title: string;
  /** An SVG path in a 24x24 box. */
  icon: string;
  /** Whether this credential can use the page at all. */
  available: (me: Identity) => boolean;
  /** The admin must choose a project first. */
  needsProject: boolean;
  View: FunctionComponent<PageProps>;
}
