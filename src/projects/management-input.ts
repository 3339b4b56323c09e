// What every management write reads first: its bounded JSON body, and what validation
// checks it against (the catalog's model ids and the clock).

import { getCatalog } from "../catalog/store.ts";
import { parseJsonObject, readBody, type JsonObject } from "../openai/body.ts";
import type { Context } from "./validate.ts";

/** Management bodies are small; anything larger is a mistake or an attack. */
export const MANAGEMENT_BODY_MAX = 64 * 1024;

export const readManagementBody = async (request: Request): Promise<JsonObject> => parseJsonObject(await readBody(request, MANAGEMENT_BODY_MAX));

export async function validationContext(env: Env, ctx: ExecutionContext): Promise<Context> {
  const now = Date.now();
  const { byId } = await getCatalog(env, ctx, now);
  return { modelIds: new Set(byId.keys()), now };
}
