import { describe, expect, it } from "vitest";
import { pathOf } from "../../src/http/path.ts";

describe("pathOf", () => {
  it("gives the same path as a full URL parse for normalised request URLs", () => {
    const urls = [
      "https://router.test/v1/chat/completions",
      "http://127.0.0.1:8787/v1/models/org%2Fmodel?x=1",
      "https://router.test/v1/organization/usage/completions?start_time=1&group_by=model#frag",
      "https://router.test/",
      "https://user:pw@router.test:443/a/b/../c?q=/x",
      "https://router.test?only=query",
      "https://router.test/%F0%9F%98%80/%20?",
    ];
    for (const raw of urls) {
      const normalised = new URL(raw).href;
      expect(pathOf(normalised), normalised).toBe(new URL(normalised).pathname);
    }
  });
});
