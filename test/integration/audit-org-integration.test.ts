import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createApiKey, createProject, expectError, seedCatalog } from "./helpers.ts";

beforeAll(() => seedCatalog());

interface Event {
  id: string;
  type: string;
  effective_at: number;
  project: { id: string; name: string };
}
interface Page {
  object: string;
  data: Event[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

const orgAudit = async (query = "", key = ADMIN_TOKEN): Promise<Page> => {
  const res = await call(`/v1/organization/audit_logs${query}`, { key });
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  return res.json();
};
const seqOf = (id: string): number => Number(id.split(".").at(-1));

/** Newest first; within one second, by project id then sequence, both descending. */
function inOrder(events: Event[]): boolean {
  return events.every((e, i) => {
    const prev = events[i - 1];
    if (prev === undefined) return true;
    if (prev.effective_at !== e.effective_at) return prev.effective_at > e.effective_at;
    if (prev.project.id !== e.project.id) return prev.project.id > e.project.id;
    return seqOf(prev.id) > seqOf(e.id);
  });
}

describe("the organization's audit log across projects", () => {
  async function threeProjects() {
    const ps = [await createProject(), await createProject(), await createProject()];
    for (const p of ps) await createApiKey(p.id, { name: "one" });
    await createApiKey(ps[0]!.id, { name: "two" });
    return ps;
  }

  it("lists every project's events to the admin without naming one, newest first", async () => {
    const ps = await threeProjects();
    const all = await orgAudit("?limit=100");
    expect(all.object).toBe("list");
    expect(inOrder(all.data)).toBe(true);
    for (const p of ps) expect(all.data.filter((e) => e.project.id === p.id).map((e) => e.type)).toEqual(p === ps[0] ? ["api_key.created", "api_key.created", "project.created"] : ["api_key.created", "project.created"]);
    expect(all.first_id).toBe(all.data[0]!.id);
    expect(all.last_id).toBe(all.data.at(-1)!.id);
  });

  it("pages forward with after and back with before, without gaps or repeats", async () => {
    await threeProjects();
    const all = (await orgAudit("?limit=100")).data.map((e) => e.id);
    expect(all.length).toBeGreaterThan(6);
    const pages: Page[] = [];
    let page = await orgAudit("?limit=3");
    pages.push(page);
    while (page.has_more) {
      page = await orgAudit(`?limit=3&after=${page.last_id}`);
      pages.push(page);
    }
    expect(pages.flatMap((p) => p.data.map((e) => e.id))).toEqual(all);
    expect(pages.at(-1)!.data.length).toBeGreaterThan(0);
    // Back from the second page is the first page, and nothing is newer than the first.
    const back = await orgAudit(`?limit=3&before=${pages[1]!.first_id}`);
    expect(back.data.map((e) => e.id)).toEqual(pages[0]!.data.map((e) => e.id));
    expect(back.has_more).toBe(false);
    expect((await orgAudit(`?limit=3&before=${pages[0]!.first_id}`)).data).toEqual([]);
    expect((await orgAudit(`?limit=2&before=${pages[2]!.first_id}`)).has_more).toBe(true);
  });

  it("filters all projects by type and narrows to the projects named", async () => {
    const ps = await threeProjects();
    const created = await orgAudit("?limit=100&event_types[]=project.created");
    expect(created.data.every((e) => e.type === "project.created")).toBe(true);
    expect(created.data.map((e) => e.project.id)).toEqual(expect.arrayContaining(ps.map((p) => p.id)));
    const two = await orgAudit(`?limit=100&project_ids[]=${ps[0]!.id}&project_ids[]=${ps[1]!.id}`);
    expect(new Set(two.data.map((e) => e.project.id))).toEqual(new Set([ps[0]!.id, ps[1]!.id]));
    expect(inOrder(two.data)).toBe(true);
  });

  it("keeps a key to its own project, and refuses foreign cursors and projects", async () => {
    const [a, b] = await threeProjects();
    const manager = await createApiKey(a!.id, { scopes: ["keys", "inference"] });
    const own = await orgAudit("?limit=100", manager.value);
    expect(new Set(own.data.map((e) => e.project.id))).toEqual(new Set([a!.id]));
    await expectError(await call(`/v1/organization/audit_logs?project_ids[]=${b!.id}`, { key: manager.value }), 404, "project_not_found");
    const foreign = (await orgAudit(`?project_ids[]=${b!.id}`)).data[0]!.id;
    const err = await expectError(await call(`/v1/organization/audit_logs?after=${foreign}`, { key: manager.value }), 400);
    expect(err.param).toBe("after");
    const both = await expectError(await call(`/v1/organization/audit_logs?after=${foreign}&before=${foreign}`, { key: ADMIN_TOKEN }), 400);
    expect(both.param).toBe("before");
    await expectError(await call(`/v1/organization/audit_logs?project_ids[]=proj_nobody_${Date.now()}`, { key: ADMIN_TOKEN }), 404, "project_not_found");
  });
});
