// The console's shell: sign-in or the signed-in layout (navigation, project, sign-out), the
// hash route, and the banners for a lost credential or a lost connection.

import { useEffect, useState } from "preact/hooks";
import { setCredentialLostHandler, type ApiFailure } from "./lib/api.ts";
import { forgetToken, savedToken, signIn, type Identity } from "./lib/session.ts";
import { PAGES } from "./pages/index.ts";
import { Logo, SignIn } from "./sign-in.tsx";
import { ErrorNotice, Loading } from "./ui/notice.tsx";

const PROJECT_STORE = "eir-console-project";
const routeOf = (): string => location.hash.replace(/^#\/?/, "").split("/")[0] ?? "";

function useRoute(): string {
  const [route, setRoute] = useState(routeOf());
  useEffect(() => {
    const on = (): void => setRoute(routeOf());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = (): void => setOnline(navigator.onLine);
    addEventListener("online", on);
    addEventListener("offline", on);
    return () => {
      removeEventListener("online", on);
      removeEventListener("offline", on);
    };
  }, []);
  return online;
}

function Icon({ d }: { d: string }) {
  return <svg viewBox="0 0 24 24" class="nav-icon" aria-hidden="true" focusable="false"><path d={d} /></svg>;
}

function Shell({ me, onSignOut, lost }: { me: Identity; onSignOut: () => void; lost: ApiFailure | null }) {
  const route = useRoute();
  const online = useOnline();
  const [menuOpen, setMenuOpen] = useState(false);
  const [chosen, setChosen] = useState<string | null>(me.cred.kind === "admin" ? sessionStorage.getItem(PROJECT_STORE) : null);
  const projectId = me.cred.kind === "admin" ? chosen : me.projectId;
  const pages = PAGES.filter((p) => p.available(me));
  // The admin starts at Projects until one is open; a key starts at its Overview.
  const start = me.cred.kind === "admin" && projectId !== null ? pages.find((p) => p.id === "overview") : undefined;
  const page = pages.find((p) => p.id === route) ?? start ?? pages[0]!;
  useEffect(() => {
    document.title = `${page.title} · Console`;
    setMenuOpen(false);
    document.getElementById("page-title")?.focus();
  }, [page.id]);
  const selectProject = (id: string): void => {
    sessionStorage.setItem(PROJECT_STORE, id);
    setChosen(id);
    location.hash = "#/overview";
  };
  const needsChoice = page.needsProject && projectId === null;
  return (
    <div class="layout">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>Skip to content</a>
      <header class="topbar">
        <div class="brand"><Logo /><span>Console</span></div>
        <button type="button" class="icon-btn menu-btn" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          <span class="sr-only">Menu</span><svg viewBox="0 0 24 24" class="nav-icon" aria-hidden="true"><path d="M4 7h16M4 12h16M4 17h16" /></svg>
        </button>
        <div class="whoami">
          <span class="who-kind">{me.cred.kind === "admin" ? "Operator" : "Project key"}</span>
          <span class="who-project mono" data-testid="current-project">{projectId ?? (me.cred.kind === "admin" ? "no project open" : "your project")}</span>
          <button type="button" class="btn btn-secondary btn-small" onClick={onSignOut}>Sign out</button>
        </div>
      </header>
      <nav id="nav" class={`sidebar${menuOpen ? " open" : ""}`} aria-label="Console">
        <ul>
          {pages.map((p) => (
            <li key={p.id}>
              <a href={`#/${p.id}`} aria-current={p.id === page.id ? "page" : undefined}><Icon d={p.icon} />{p.title}</a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" class="content" tabIndex={-1}>
        {!online && <div class="banner banner-warning" role="alert">You are offline. The console will work again when the connection is back.</div>}
        {lost && (
          <div class="banner" data-testid="credential-lost">
            <ErrorNotice error={lost} />
            <button type="button" class="btn btn-primary" onClick={onSignOut}>Sign in again</button>
          </div>
        )}
        {needsChoice ? (
          <div class="empty"><h1 id="page-title" tabIndex={-1}>{page.title}</h1><p>Open a project first, under <a href="#/projects">Projects</a>.</p></div>
        ) : (
          <page.View key={`${page.id}:${projectId ?? ""}`} me={me} projectId={projectId} selectProject={selectProject} />
        )}
      </main>
    </div>
  );
}

export function App() {
  const [me, setMe] = useState<Identity | null>(null);
  const [restoring, setRestoring] = useState(savedToken() !== null);
  const [notice, setNotice] = useState<unknown>(null);
  const [lost, setLost] = useState<ApiFailure | null>(null);
  useEffect(() => {
    setCredentialLostHandler((f) => setLost(f));
    const token = savedToken();
    if (token === null) return;
    // A reload in the same tab signs in again with the remembered credential.
    signIn(token).then(setMe, (err: unknown) => {
      forgetToken();
      setNotice(err);
    }).finally(() => setRestoring(false));
  }, []);
  const signOut = (): void => {
    forgetToken();
    sessionStorage.removeItem(PROJECT_STORE);
    setMe(null);
    setLost(null);
    setNotice(null);
    history.replaceState(null, "", location.pathname);
  };
  if (restoring) return <main class="signin" id="main"><Loading label="Signing in" /></main>;
  if (me === null) return <SignIn notice={notice} onSignedIn={(m) => { setLost(null); setMe(m); }} />;
  return <Shell me={me} onSignOut={signOut} lost={lost} />;
}
