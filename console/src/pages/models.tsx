// Models: the catalog as cards, with lifecycle (deprecation, sunset, successor) up front.

import { fmtInt, fmtPrice } from "../lib/format.ts";
import { safeUrl } from "../lib/safe-url.ts";
import type { ModelCard } from "../lib/types.ts";
import { Empty, PageHeader } from "../ui/notice.tsx";
import type { PageProps } from "./types.ts";

const daysUntil = (iso: string): number => Math.ceil((Date.parse(`${iso}T00:00:00Z`) - Date.now()) / 86_400_000);

function Lifecycle({ m }: { m: ModelCard }) {
  const lc = m.lifecycle;
  if (lc.status === "active" && lc.deprecated === null) return null;
  const left = lc.sunset === null ? null : daysUntil(lc.sunset);
  return (
    <div class={`lifecycle lifecycle-${lc.status}`} role="note">
      <strong>{lc.status === "retired" ? "Retired" : lc.status === "deprecated" ? "Deprecated" : "Deprecation scheduled"}</strong>
      {lc.deprecated && <span> since {lc.deprecated}</span>}
      {lc.sunset && <span>; sunset {lc.sunset}{left !== null && left > 0 ? ` (in ${left} days)` : ""}</span>}
      {lc.successor && <p>Move to <a href={`#/models/${encodeURIComponent(lc.successor)}`} class="mono">{lc.successor}</a>: after the sunset, requests are served by it.</p>}
      {!lc.successor && lc.sunset && <p>It has no successor: after the sunset its requests are refused.</p>}
    </div>
  );
}

function Card({ m }: { m: ModelCard }) {
  const p = m.pricing;
  return (
    <article class="card model-card" id={`model-${m.id}`} aria-labelledby={`model-title-${m.id}`} data-testid={`model-${m.id}`}>
      <div class="model-head">
        <div>
          <h2 class="card-title" id={`model-title-${m.id}`}>{m.display_name}</h2>
          <p class="mono muted small">{m.id}</p>
        </div>
        <div class="badges">
          <span class={`badge badge-plan-${m.plan.toLowerCase()}`}>{m.plan}</span>
          <span class="badge">{m.type}</span>
        </div>
      </div>
      {m.description && <p class="model-desc">{m.description}</p>}
      <Lifecycle m={m} />
      <dl class="facts">
        <div><dt>Context</dt><dd>{fmtInt(m.context_length)} tokens</dd></div>
        <div><dt>Input</dt><dd>{fmtPrice(p.input_per_million, p.currency)}</dd></div>
        {m.type === "chat" && <div><dt>Output</dt><dd>{fmtPrice(p.output_per_million, p.currency)}</dd></div>}
        <div><dt>Limits</dt><dd>{fmtInt(m.limits.rpm)} RPM · {fmtInt(m.limits.tpm)} TPM</dd></div>
        <div><dt>Released</dt><dd>{m.lifecycle.released ?? "—"}</dd></div>
        <div><dt>By</dt><dd>{m.owned_by}</dd></div>
      </dl>
      <p class="links">
        <a href={safeUrl(m.license.url)} target="_blank" rel="noopener noreferrer">{m.license.name}<span class="sr-only"> (licence, opens in a new tab)</span></a>
        <a href={safeUrl(m.source_url)} target="_blank" rel="noopener noreferrer">Source<span class="sr-only"> of {m.id} (opens in a new tab)</span></a>
      </p>
    </article>
  );
}

export function Models({ me }: PageProps) {
  const models = me.models ?? [];
  return (
    <>
      <PageHeader title="Models" lead="The models your key may call, with their prices, limits, licences and lifecycle. Prices are per million tokens." />
      {models.length === 0 ? <Empty title="No models available to this key." /> : (
        <div class="model-grid">{models.map((m) => <Card m={m} key={m.id} />)}</div>
      )}
    </>
  );
}
