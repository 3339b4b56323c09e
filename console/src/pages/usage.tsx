// Usage: input and output tokens and cost per hour or day, by model or key, over a chosen
// range; totals from the same buckets as the usage API's; the API's own CSV for download.

import { useMemo, useState } from "preact/hooks";
import { getJson, query } from "../lib/api.ts";
import { download } from "../lib/download.ts";
import { dayStart, fmtCompact, fmtInt, fmtMoney, fmtMoneyShort, isoDay } from "../lib/format.ts";
import type { ApiKey, List } from "../lib/types.ts";
import { fetchUsage, fetchUsageCsv, monthStart, type UsageRange } from "../lib/usage-fetch.ts";
import { seriesOf, totals, totalsByGroup, type Grouping } from "../lib/usage-series.ts";
import { colorOf, StackedBars } from "../ui/chart.tsx";
import { ErrorNotice, Loading, PageHeader } from "../ui/notice.tsx";
import { useLoad } from "../ui/use-load.ts";
import type { PageProps } from "./types.ts";

type Preset = "24h" | "7d" | "30d" | "month" | "custom";
const PRESETS: Array<[Preset, string]> = [["24h", "Last 24 hours"], ["7d", "Last 7 days"], ["30d", "Last 30 days"], ["month", "This month"], ["custom", "Custom"]];
const DAY = 86_400;

function rangeOf(preset: Preset, from: string, to: string, width: "1h" | "1d"): { start: number; end: number; width: "1h" | "1d" } {
  const now = Math.floor(Date.now() / 1000);
  const today = Math.floor(now / DAY) * DAY;
  switch (preset) {
    case "24h": return { start: Math.floor(now / 3600) * 3600 - 23 * 3600, end: now, width: "1h" };
    case "7d": return { start: today - 6 * DAY, end: now, width };
    case "30d": return { start: today - 29 * DAY, end: now, width };
    case "month": return { start: monthStart(), end: now, width };
    case "custom": return { start: dayStart(from), end: dayStart(to) + DAY, width };
  }
}

function Totals({ t, start, end }: { t: ReturnType<typeof totals>; start: number; end: number }) {
  return (
    <div class="stats" data-testid="usage-totals" data-start={start} data-end={end}>
      <div class="stat"><span class="stat-label">Requests</span><span class="stat-value" data-testid="total-requests" data-value={t.requests}>{fmtInt(t.requests)}</span></div>
      <div class="stat"><span class="stat-label">Input tokens</span><span class="stat-value" data-testid="total-input" data-value={t.input}>{fmtInt(t.input)}</span></div>
      <div class="stat"><span class="stat-label">Output tokens</span><span class="stat-value" data-testid="total-output" data-value={t.output}>{fmtInt(t.output)}</span></div>
      <div class="stat"><span class="stat-label">Cost</span><span class="stat-value" data-testid="total-cost" data-value={t.cost}>{fmtMoney(t.cost, t.currency)}</span></div>
    </div>
  );
}

export function Usage({ me, projectId }: PageProps) {
  const [preset, setPreset] = useState<Preset>("7d");
  const [width, setWidth] = useState<"1h" | "1d">("1d");
  const [groupBy, setGroupBy] = useState<Grouping>("model");
  const [from, setFrom] = useState(isoDay(Date.now() / 1000 - 6 * DAY));
  const [to, setTo] = useState(isoDay(Date.now() / 1000));
  const [tick, setTick] = useState(0);
  const [csvError, setCsvError] = useState<unknown>(null);
  const r = rangeOf(preset, from, to, width);
  const range: UsageRange = { projectId, admin: me.cred.kind === "admin", ...r, groupBy: [groupBy] };
  const badRange = preset === "custom" && !(r.end > r.start);
  const usage = useLoad((signal) => (badRange ? Promise.resolve([]) : fetchUsage(me.cred, range, signal)), [projectId, r.start, preset === "custom" ? r.end : 0, r.width, groupBy, tick]);
  const keyNames = useLoad(async () => {
    if (!me.canKeys || projectId === null) return new Map<string, string>();
    const page = await getJson<List<ApiKey>>(me.cred, `/v1/organization/projects/${encodeURIComponent(projectId)}/api_keys${query({ limit: 100 })}`);
    return new Map(page.data.map((k) => [k.id, k.name]));
  }, [projectId, tick]);
  const label = (g: string): string => (groupBy === "api_key_id" ? (keyNames.data?.get(g) ? `${keyNames.data.get(g)} (${g})` : g) : g);
  const series = useMemo(() => (usage.data ? seriesOf(usage.data, groupBy) : null), [usage.data, groupBy]);
  const widthS = r.width === "1h" ? 3600 : DAY;
  const csv = async (): Promise<void> => {
    setCsvError(null);
    try {
      download(`usage-${projectId ?? "project"}-${isoDay(r.start)}-${isoDay(r.end)}.csv`, await fetchUsageCsv(me.cred, range), "text/csv");
    } catch (e) {
      setCsvError(e);
    }
  };

  return (
    <>
      <PageHeader
        title="Usage"
        lead="Metered tokens and their cost at catalog prices, in UTC hours or days."
        actions={<>
          <button type="button" class="btn btn-secondary" onClick={() => setTick((t) => t + 1)}>Refresh</button>
          <button type="button" class="btn btn-primary" onClick={() => void csv()} disabled={badRange}>Download CSV</button>
        </>}
      />
      <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="Usage range">
        <label class="field inline"><span class="label">Range</span>
          <select name="preset" value={preset} onChange={(e) => setPreset(e.currentTarget.value as Preset)}>{PRESETS.map(([v, t]) => <option value={v} key={v}>{t}</option>)}</select>
        </label>
        {preset === "custom" && <>
          <label class="field inline"><span class="label">From</span><input type="date" name="from" value={from} onInput={(e) => setFrom(e.currentTarget.value)} /></label>
          <label class="field inline"><span class="label">To</span><input type="date" name="to" value={to} onInput={(e) => setTo(e.currentTarget.value)} /></label>
        </>}
        <label class="field inline"><span class="label">Per</span>
          <select name="width" value={r.width} disabled={preset === "24h"} onChange={(e) => setWidth(e.currentTarget.value as "1h" | "1d")}><option value="1h">hour</option><option value="1d">day</option></select>
        </label>
        <fieldset class="segmented"><legend class="label">Group by</legend><div class="seg-row">
          <label><input type="radio" name="group" checked={groupBy === "model"} onChange={() => setGroupBy("model")} /><span>Model</span></label>
          <label><input type="radio" name="group" checked={groupBy === "api_key_id"} onChange={() => setGroupBy("api_key_id")} /><span>Key</span></label>
        </div></fieldset>
      </form>
      {badRange && <p class="field-error" role="alert">The end date must not be before the start date.</p>}
      {csvError ? <ErrorNotice error={csvError} compact /> : null}
      {usage.error ? <ErrorNotice error={usage.error} onRetry={usage.reload} /> : null}
      {!usage.data && !usage.error && <Loading label="Loading usage" />}
      {usage.data && series && (
        <div aria-busy={usage.loading}>
          <Totals t={totals(usage.data)} start={r.start} end={r.end} />
          {series.groups.length === 0 ? <p class="empty-title">No usage in this range.</p> : (
            <div class="charts">
              <section class="card chart-card"><h2>Input tokens</h2><StackedBars label="Input tokens per bucket, stacked by group" times={series.times} widthS={widthS} groups={series.groups} rows={series.input} format={fmtCompact} groupLabel={label} /></section>
              <section class="card chart-card"><h2>Output tokens</h2><StackedBars label="Output tokens per bucket, stacked by group" times={series.times} widthS={widthS} groups={series.groups} rows={series.output} format={fmtCompact} groupLabel={label} /></section>
              <section class="card chart-card"><h2>Cost</h2><StackedBars label="Cost per bucket, stacked by group" times={series.times} widthS={widthS} groups={series.groups} rows={series.cost} format={(v) => fmtMoney(v, totals(usage.data ?? []).currency)} axisFormat={(v) => fmtMoneyShort(v, totals(usage.data ?? []).currency)} groupLabel={label} /></section>
            </div>
          )}
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Usage totals by group">
            <table class="table" data-testid="usage-by-group">
              <caption>Totals by {groupBy === "model" ? "model" : "key"}</caption>
              <thead><tr><th scope="col">{groupBy === "model" ? "Model" : "Key"}</th><th scope="col" class="num">Requests</th><th scope="col" class="num">Input tokens</th><th scope="col" class="num">Output tokens</th><th scope="col" class="num">Cost</th></tr></thead>
              <tbody>{totalsByGroup(usage.data, groupBy).map((g, i) => (
                <tr key={g.group}>
                  <th scope="row"><span class="swatch" style={{ background: colorOf(i) }} aria-hidden="true" /><span class="mono">{label(g.group)}</span></th>
                  <td class="num">{fmtInt(g.requests)}</td><td class="num">{fmtInt(g.input)}</td><td class="num">{fmtInt(g.output)}</td><td class="num">{fmtMoney(g.cost, g.currency)}</td>
                </tr>
              ))}</tbody>
            </table>
          </div>
        </div>
      )}
    </>
  );
}
