// How failures, empty states and waiting look, the same on every page.

import type { ComponentChildren } from "preact";
import { ApiFailure } from "../lib/api.ts";

const TITLES: Record<ApiFailure["kind"], string> = {
  network: "Connection lost",
  invalid_key: "Credential not accepted",
  expired_key: "This key has expired",
  suspended: "Project suspended",
  forbidden: "Not allowed",
  rate_limited: "Too many requests",
  budget_spent: "Monthly budget spent",
  not_found: "Not found",
  invalid: "The router refused the request",
  server: "The router had a problem",
};

const HINTS: Partial<Record<ApiFailure["kind"], string>> = {
  network: "The router could not be reached. Your data is safe; try again when you are back online.",
  invalid_key: "Check that you pasted the whole key, or ask an owner of the project for a new one.",
  expired_key: "Ask an owner of the project to extend it or to create a new key.",
  suspended: "An operator suspended this project: its keys are refused until it is activated again.",
  budget_spent: "Waiting does not help: requests are refused until the budget resets next month, or until whoever manages the budget raises it (Budgets page).",
  server: "This is on our side. If it persists, quote the request id below.",
};

export function describe(error: unknown): { title: string; message: string; hint: string | null; failure: ApiFailure | null } {
  if (error instanceof ApiFailure) {
    let hint = HINTS[error.kind] ?? null;
    if (error.kind === "rate_limited") hint = `Wait ${error.retryAfterS === null ? "a moment" : `${error.retryAfterS} s`} and try again.`;
    return { title: TITLES[error.kind], message: error.message, hint, failure: error };
  }
  return { title: "Something went wrong", message: error instanceof Error ? error.message : String(error), hint: null, failure: null };
}

export function ErrorNotice({ error, onRetry, compact }: { error: unknown; onRetry?: () => void; compact?: boolean }) {
  const d = describe(error);
  return (
    <div class={`notice notice-error${compact ? " compact" : ""}`} role="alert" data-kind={d.failure?.kind ?? "unknown"}>
      <div class="notice-body">
        <strong class="notice-title">{d.title}</strong>
        <p class="notice-message">{d.message}</p>
        {d.hint && <p class="notice-hint">{d.hint}</p>}
        {d.failure?.code && (
          <p class="notice-meta">
            <code>{d.failure.code}</code>
            {d.failure.status > 0 && <> · HTTP {d.failure.status}</>}
            {d.failure.requestId && <> · request <code>{d.failure.requestId}</code></>}
          </p>
        )}
      </div>
      {onRetry && <button type="button" class="btn btn-secondary" onClick={onRetry}>Try again</button>}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children && <div class="empty-body">{children}</div>}
    </div>
  );
}

export function Loading({ label = "Loading" }: { label?: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}…
    </div>
  );
}

export function PageHeader({ title, lead, actions }: { title: string; lead?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <header class="page-header">
      <div>
        <h1 id="page-title" tabIndex={-1}>{title}</h1>
        {lead && <p class="lead">{lead}</p>}
      </div>
      {actions && <div class="page-actions">{actions}</div>}
    </header>
  );
}
