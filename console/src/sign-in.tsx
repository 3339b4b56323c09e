// The sign-in form: a project key (scope keys and/or usage) or the operators' admin token.

import { useState } from "preact/hooks";
import type { Identity } from "./lib/session.ts";
import { signIn } from "./lib/session.ts";
import { ErrorNotice } from "./ui/notice.tsx";

export function SignIn({ onSignedIn, notice }: { onSignedIn: (me: Identity) => void; notice: unknown }) {
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(notice);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(token));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <main class="signin" id="main">
      <div class="signin-card">
        <div class="brand brand-large"><Logo /> <span>Edge inference router</span></div>
        <h1>Sign in to the console</h1>
        <p class="muted">Use a project API key with the <code>keys</code> or <code>usage</code> scope, or the operators' admin token. It stays in this browser tab only and is forgotten when you sign out or close the tab.</p>
        {error ? <ErrorNotice error={error} /> : null}
        <form class="form" onSubmit={(e) => void submit(e)}>
          <label class="field">
            <span class="label">API key or admin token</span>
            <input type="password" name="credential" autoComplete="off" spellcheck={false} required value={token} onInput={(e) => setToken(e.currentTarget.value)} placeholder="sk-eir-…" />
          </label>
          <button type="submit" class="btn btn-primary btn-block" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
        </form>
      </div>
    </main>
  );
}

export function Logo() {
  return (
    <svg class="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <path d="M9 22V10h9M9 16h7M20 22l3-6 3 6" stroke="#fff" stroke-width="2.6" fill="none" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}
