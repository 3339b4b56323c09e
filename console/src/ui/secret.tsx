// A new secret, shown this once: copy it now, the API never shows it again.

import { useState } from "preact/hooks";

const KEY_NOTE = "It is shown only once. The router keeps only a hash of it; if you lose it, rotate the key.";

export function SecretReveal({ secret, onDone, label = "Secret key", note = KEY_NOTE }: { secret: string; onDone: () => void; label?: string; note?: string }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("yes");
    } catch {
      setCopied("no");
    }
  };
  return (
    <div class="secret">
      <div class="notice notice-warning" role="note">
        <strong class="notice-title">Copy this secret now</strong>
        <p class="notice-message">{note}</p>
      </div>
      <label class="field">
        <span class="label">{label}</span>
        <div class="copy-row">
          <input class="mono" type="text" readOnly value={secret} data-testid="new-secret" onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
          <button type="button" class="btn btn-primary" onClick={() => void copy()}>Copy</button>
        </div>
      </label>
      <p class="copy-status" role="status" aria-live="polite">
        {copied === "yes" ? "Copied to the clipboard." : copied === "no" ? "The browser refused the clipboard: select the text and copy it by hand." : ""}
      </p>
      <div class="form-actions">
        <button type="button" class="btn btn-secondary" onClick={onDone}>I have stored it safely</button>
      </div>
    </div>
  );
}
