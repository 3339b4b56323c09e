// The operators' list of projects: one empty KV entry per project, written by the
// project's object when it is created. KV lists are eventually consistent (a new project
// may take up to a minute to appear); each project's details come from its object.

import { PROJECT_INDEX_PREFIX } from "../storage/kv-keys.ts";

/** Project ids in name order after `after`; KV has no start-after, so earlier pages are skipped. */
export async function listProjectIds(kv: KVNamespace, after: string | null, limit: number): Promise<{ ids: string[]; has_more: boolean }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix: PROJECT_INDEX_PREFIX, cursor, limit: 1000 });
    for (const k of page.keys) {
      const id = k.name.slice(PROJECT_INDEX_PREFIX.length);
      if (after !== null && id <= after) continue;
      if (ids.length === limit) return { ids, has_more: true };
      ids.push(id);
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor !== undefined);
  return { ids, has_more: false };
}
