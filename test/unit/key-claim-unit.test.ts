import { describe, expect, it } from "vitest";
import { CLAIM_SETTLE_MS, decideClaim } from "../../src/auth/key-claim.ts";

describe("decideClaim", () => {
  const now = 10_000_000;
  const held = (project_id: string, key_id: string, age: number) => ({ project_id, key_id, claimed_at: now - age });

  it("grants a free secret", () => expect(decideClaim(null, "proj_a", "key_1", now)).toBe("grant"));
  it("grants the holder again (a retry)", () => expect(decideClaim(held("proj_a", "key_1", 5), "proj_a", "key_1", now)).toBe("grant"));
  it("refuses another key while the claim is young, in another project or the same", () => {
    expect(decideClaim(held("proj_a", "key_1", CLAIM_SETTLE_MS - 1), "proj_b", "key_2", now)).toBe("refuse");
    expect(decideClaim(held("proj_a", "key_1", 0), "proj_a", "key_2", now)).toBe("refuse");
  });
  it("asks the holder's project about an old claim", () => {
    expect(decideClaim(held("proj_a", "key_1", CLAIM_SETTLE_MS), "proj_b", "key_2", now)).toBe("ask_holder");
  });
});
