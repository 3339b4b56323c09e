import { describe, expect, it } from "vitest";
import { generateKey } from "../../src/auth/api-key.ts";
import { parseKeyRecord } from "../../src/auth/key-record.ts";
import { applyKeyPatch, applyProjectPatch, keyRecordFor, redact } from "../../src/projects/changes.ts";
import { auditId, parseAuditId } from "../../src/projects/audit-page.ts";
import { parseAuditQuery, parseLimit } from "../../src/projects/query.ts";
import type { Project, StoredKey } from "../../src/projects/types.ts";

const key: StoredKey = { id: "key_1", name: "n", redacted_value: "sk-eir-abcd...wxyz", scopes: ["inference"], models: null, created_at: 100, expires_at: null };
const project: Project = { id: "proj_1", name: "p", status: "active", limits: {}, created_at: 100 };

describe("redact", () => {
  it("keeps the prefix and 4 characters each side, and hides the rest", () => {
    const secret = generateKey();
    const hint = redact(secret);
    expect(hint).toMatch(/^sk-eir-.{4}\.\.\..{4}$/);
    expect(hint.slice(0, 11)).toBe(secret.slice(0, 11));
    expect(hint.slice(-4)).toBe(secret.slice(-4));
    expect(secret.length - 15).toBeGreaterThanOrEqual(32);
  });
});

describe("applyKeyPatch", () => {
  it("records only what really changes, with the previous values", () => {
    const { next, audit } = applyKeyPatch(key, { name: "n", scopes: ["inference", "keys"], expires_at: 999 });
    expect(next).toEqual({ ...key, scopes: ["inference", "keys"], expires_at: 999 });
    expect(audit).toEqual({
      type: "api_key.updated",
      details: { id: "key_1", changes_requested: { scopes: ["inference", "keys"], expires_at: 999 }, previous: { scopes: ["inference"], expires_at: null } },
    });
  });

  it("records nothing for a patch that changes nothing", () => {
    expect(applyKeyPatch(key, { name: "n", models: null }).audit).toBe(null);
  });
});

describe("applyProjectPatch", () => {
  it.each([
    [{ status: "suspended" as const }, "active", "project.suspended"],
    [{ status: "active" as const }, "suspended", "project.activated"],
    [{ name: "q" }, "active", "project.updated"],
    [{ name: "q", status: "suspended" as const }, "suspended", "project.updated"],
  ])("%j on a %s project is %s", (patch, from, type) => {
    const { audit } = applyProjectPatch({ ...project, status: from as Project["status"] }, patch);
    expect(audit?.type).toBe(type);
  });
});

describe("keyRecordFor", () => {
  it("writes a record that parseKeyRecord reads back unchanged", () => {
    const p: Project = { ...project, status: "suspended", limits: { m: { rpm: 1, tpm: 2 } } };
    const rec = keyRecordFor({ ...key, models: ["m"], expires_at: 5 }, p);
    expect(parseKeyRecord(JSON.parse(JSON.stringify(rec)))).toEqual(rec);
  });

  it("reads old records without status or limits as active with no overrides", () => {
    expect(parseKeyRecord({ project_id: "p", key_id: "k", scopes: [], models: null, expires_at: null })).toMatchObject({ project_status: "active", limits: {} });
    expect(parseKeyRecord({ project_id: "p", key_id: "k", scopes: [], models: null, expires_at: null, project_status: "gone" })).toBe(null);
    expect(parseKeyRecord({ project_id: "p", key_id: "k", scopes: [], models: null, expires_at: null, limits: { m: { rpm: "1" } } })).toBe(null);
  });

  it("reads the budget version when there is one, and nothing else as one", () => {
    const base = { project_id: "p", key_id: "k", scopes: [], models: null, expires_at: null };
    expect(parseKeyRecord({ ...base, budget: 3 })).toMatchObject({ budget: 3 });
    for (const budget of [undefined, "3", 1.5, null]) expect(parseKeyRecord({ ...base, budget })).not.toHaveProperty("budget");
  });
});

describe("audit query", () => {
  const q = (s: string) => parseAuditQuery(new URLSearchParams(s));

  it("defaults to 20 newest events of any type and time", () => {
    expect(q("")).toEqual({ limit: 20, after: null, before: null, since: null, until: null, types: null });
  });

  it("turns gt/gte/lt/lte into one inclusive range, the tighter bound winning", () => {
    expect(q("effective_at[gt]=10&effective_at[gte]=5&effective_at[lt]=20&effective_at[lte]=30")).toMatchObject({ since: 11, until: 19 });
    expect(q("effective_at[gte]=10")).toMatchObject({ since: 10, until: null });
  });

  it("reads event types as repeated or comma-separated", () => {
    expect(q("event_types[]=api_key.created&event_types[]=api_key.deleted").types).toEqual(["api_key.created", "api_key.deleted"]);
    expect(q("event_types=project.created,project.updated").types).toEqual(["project.created", "project.updated"]);
  });

  it("round-trips audit ids to their project and sequence number", () => {
    expect(parseAuditId(auditId("proj_x-y", 42))).toEqual({ project_id: "proj_x-y", seq: 42 });
    expect(parseAuditId("audit_log-nope")).toBe(null);
    expect(parseAuditId("audit_log-proj_a.1.2")).toBe(null);
  });

  it("takes after or before as a cursor, not both", () => {
    expect(q("before=audit_log-proj_a.3")).toMatchObject({ after: null, before: { project_id: "proj_a", seq: 3 } });
    expect(() => q("after=audit_log-proj_a.3&before=audit_log-proj_a.1")).toThrow(/not both/);
    expect(() => q("before=nope")).toThrow(/before/);
  });

  it.each(["0", "101", "-1", "1.5", "ten", ""])("refuses limit=%s", (v) => {
    expect(() => parseLimit(new URLSearchParams({ limit: v }))).toThrow(/limit/);
  });
});
