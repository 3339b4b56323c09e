// Stacked bar chart over time (uPlot on a canvas), one colour per group, with the raw
// values in the legend and a text table beside it for screen readers and copying.

import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { stack } from "../lib/usage-series.ts";

export const PALETTE = ["#4f46e5", "#0891b2", "#d97706", "#059669", "#db2777", "#7c3aed", "#65a30d", "#dc2626", "#475569"];
export const colorOf = (i: number): string => PALETTE[i % PALETTE.length]!;

export interface ChartProps {
  label: string;
  times: number[];
  widthS: number;
  groups: string[];
  rows: number[][];
  format: (v: number) => string;
  /** Shorter labels for the value axis, if format's are long. */
  axisFormat?: (v: number) => string;
  groupLabel?: (g: string) => string;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
function tickLabel(t: number, widthS: number): string {
  const d = new Date(t * 1000);
  const day = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  if (widthS >= 86_400) return day;
  const hh = String(d.getUTCHours()).padStart(2, "0");
  return d.getUTCHours() === 0 ? `${day}\n${hh}:00` : `${hh}:00`;
}

function options(p: ChartProps, width: number): uPlot.Options {
  const half = p.widthS / 2;
  const name = p.groupLabel ?? ((g: string) => g);
  return {
    width,
    height: 240,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    scales: { x: { time: true, range: (_u, min, max) => [min - half, max + half] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    legend: { live: true },
    axes: [
      {
        stroke: "#64748b", grid: { show: false }, ticks: { stroke: "#cbd5e1" },
        // Ticks on bucket starts only, labelled as UTC days or hours.
        incrs: p.widthS >= 86_400 ? [86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 28 * 86_400] : [3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400],
        values: (_u, ticks) => ticks.map((t) => tickLabel(t, p.widthS)),
      },
      { stroke: "#64748b", size: 72, values: (_u, ticks) => ticks.map(p.axisFormat ?? p.format), grid: { stroke: "rgba(148,163,184,.25)" }, ticks: { show: false } },
    ],
    series: [
      { label: "Time", value: (_u, v) => (v == null ? "" : new Date(v * 1000).toISOString().replace("T", " ").slice(0, p.widthS < 86_400 ? 16 : 10)) },
      ...p.groups.map((g, i) => ({
        label: name(g),
        stroke: colorOf(i),
        fill: colorOf(i),
        width: 0,
        paths: uPlot.paths.bars!({ size: [0.72, 48], gap: 1 }),
        points: { show: false },
        value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) => (idx === null ? "" : p.format(p.rows[i]?.[idx] ?? 0)),
      })),
    ],
  };
}

export function StackedBars(p: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const data = [p.times, ...stack(p.rows)] as uPlot.AlignedData;
    const plot = new uPlot(options(p, Math.max(280, el.clientWidth)), data, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 240 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [p.times, p.rows, p.groups, p.widthS]);
  return <div class="chart" ref={box} role="img" aria-label={p.label} />;
}
