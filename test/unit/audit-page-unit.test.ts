import { describe, expect, it } from "vitest";
import { mergeAuditSlices, sliceBound, type AuditItem, type AuditSplit } from "../../src/projects/audit-page.ts";
import type { AuditEntry, Project } from "../../src/projects/types.ts";

const project = (id: string): Project => ({ id, name: id, status: "active", limits: {}, created_at: 0 });
const entry = (seq: number, effective_at: number): AuditEntry => ({ seq, effective_at, type: "api_key.created", actor: { type: "admin" }, details: "{}" });
const item = (p: string, seq: number, t: number): AuditItem => ({ project: project(p), entry: entry(seq, t) });
const ids = (items: AuditItem[]) => items.map((i) => `${i.project.id}.${i.entry.seq}`);

/** Three projects' logs; b and c both have events in second 20. */
const LOGS: AuditItem[] = [item("proj_a", 1, 10), item("proj_a", 2, 30), item("proj_b", 1, 20), item("proj_b", 2, 20), item("proj_c", 1, 20), item("proj_c", 2, 40)];
const FULL = ["proj_c.2", "proj_a.2", "proj_c.1", "proj_b.2", "proj_b.1", "proj_a.1"];

/** What each project's object would answer for a bound: the slice nearest it, as SQL does. */
function slice(p: string, split: AuditSplit | null, limit: number): AuditItem[] {
  const mine = LOGS.filter((i) => i.project.id === p);
  if (split === null) return mine.sort((x, y) => y.entry.effective_at - x.entry.effective_at || y.entry.seq - x.entry.seq).slice(0, limit);
  const b = sliceBound(split, p);
  const older = (i: AuditItem) => i.entry.effective_at < b.effective_at || (i.entry.effective_at === b.effective_at && i.entry.seq < b.seq);
  const newer = (i: AuditItem) => i.entry.effective_at > b.effective_at || (i.entry.effective_at === b.effective_at && i.entry.seq > b.seq);
  const keep = mine.filter(b.direction === "older" ? older : newer);
  const sorted = keep.sort((x, y) => x.entry.effective_at - y.entry.effective_at || x.entry.seq - y.entry.seq);
  return (b.direction === "older" ? sorted.reverse() : sorted).slice(0, limit);
}
const page = (split: AuditSplit | null, limit: number) =>
  mergeAuditSlices(["proj_a", "proj_b", "proj_c"].map((p) => slice(p, split, limit + 1)), limit, split?.direction ?? "older");
const at = (id: string, direction: "older" | "newer"): AuditSplit => {
  const [p, s] = id.split(".");
  const e = LOGS.find((i) => i.project.id === p && i.entry.seq === Number(s))!;
  return { project_id: p!, seq: Number(s), effective_at: e.entry.effective_at, direction };
};

describe("audit pages across projects", () => {
  it("orders newest first, ties by project id then sequence, all descending", () => {
    expect(ids(page(null, 10).items)).toEqual(FULL);
    expect(page(null, 10).has_more).toBe(false);
  });

  it("pages forward from every cursor without gaps or repeats", () => {
    for (let i = 0; i < FULL.length; i++) {
      const { items, has_more } = page(at(FULL[i]!, "older"), 2);
      expect(ids(items)).toEqual(FULL.slice(i + 1, i + 3));
      expect(has_more).toBe(FULL.length > i + 3);
    }
  });

  it("pages back from every cursor to the events just before it, still newest first", () => {
    for (let i = 0; i < FULL.length; i++) {
      const { items, has_more } = page(at(FULL[i]!, "newer"), 2);
      expect(ids(items)).toEqual(FULL.slice(Math.max(0, i - 2), i));
      expect(has_more).toBe(i > 2);
    }
  });
});
