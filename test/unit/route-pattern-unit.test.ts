import { describe, expect, it } from "vitest";
import { routePattern } from "../../src/http/route-pattern.ts";

describe("route patterns for the 405 table", () => {
  it("match what itty-router's pattern matches: `:name` one segment, `:name+` the rest", () => {
    const key = routePattern("/v1/organization/projects/:project_id/api_keys/:key_id");
    expect(key.test("/v1/organization/projects/proj_1/api_keys/key_1")).toBe(true);
    expect(key.test("/v1/organization/projects/proj_1/api_keys/key_1/rotate")).toBe(false);
    expect(key.test("/v1/organization/projects/proj_1/api_keys/")).toBe(false);
    const model = routePattern("/v1/models/:model+");
    expect(model.test("/v1/models/org/name")).toBe(true);
    expect(model.test("/v1/models/")).toBe(false);
    expect(routePattern("/v1/models").test("/v1/models/x")).toBe(false);
  });

  it("take literal parts literally", () => {
    expect(routePattern("/v1/chat/completions").test("/v1/chat/completions")).toBe(true);
    expect(routePattern("/v1/a.b").test("/v1/aXb")).toBe(false);
  });
});
