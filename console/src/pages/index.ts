// Every page of the console, in navigation order (the first available one is the start page). A new page (budgets, tracing) is one more
// entry here: its title, icon, who may see it and its view.

import { Audit } from "./audit.tsx";
import { Budgets } from "./budgets.tsx";
import { Keys } from "./keys.tsx";
import { Models } from "./models.tsx";
import { Overview } from "./overview.tsx";
import { Projects } from "./projects.tsx";
import { TracingSettings } from "./tracing.tsx";
import type { PageDef } from "./types.ts";
import { Usage } from "./usage.tsx";

export const PAGES: readonly PageDef[] = [
  { id: "projects", title: "Projects", icon: "M3 7h7l2 2h9v10H3z", available: (me) => me.cred.kind === "admin", needsProject: false, View: Projects },
  { id: "overview", title: "Overview", icon: "M3 12h4l3-8 4 16 3-8h4", available: () => true, needsProject: true, View: Overview },
  { id: "models", title: "Models", icon: "M12 3l8 4.5v9L12 21l-8-4.5v-9zM12 12l8-4.5M12 12v9M12 12L4 7.5", available: (me) => me.models !== null, needsProject: false, View: Models },
  { id: "keys", title: "API keys", icon: "M15 7a4 4 0 11-3.9 4.9L3 20v-3h3v-3h3l2.1-2.1A4 4 0 0115 7z", available: (me) => me.canKeys, needsProject: true, View: Keys },
  { id: "usage", title: "Usage", icon: "M4 20V10M10 20V4M16 20v-7M22 20H2", available: (me) => me.canUsage, needsProject: true, View: Usage },
  { id: "budgets", title: "Budgets", icon: "M3 6h18v12H3zM3 10h18M7 15h4", available: (me) => me.canKeys, needsProject: true, View: Budgets },
  { id: "tracing", title: "Tracing", icon: "M4 6h10M4 12h16M4 18h7M17 4v4M20 16v4", available: (me) => me.canKeys, needsProject: true, View: TracingSettings },
  { id: "audit", title: "Audit log", icon: "M8 6h12M8 12h12M8 18h12M4 6h.01M4 12h.01M4 18h.01", available: (me) => me.canKeys, needsProject: true, View: Audit },
];
