import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/openai/errors.ts";
import { CSV_HEADER, usageCsv } from "../../src/usage/csv.ts";
import { parseUsageQuery } from "../../src/usage/query.ts";
import { usagePage, type Pricing, type UsageRow } from "../../src/usage/report.ts";

const H = 3600;
const DAY = 86_400;
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const q = (params: string, now = T0 + 10 * DAY) => parseUsageQuery(new URL(`https://r.test/x?${params}`), now);
const PRICES: Record<string, Pricing> = {
  chat: { input_per_million: 1, output_per_million: 3, currency: "EUR" },
  embed: { input_per_million: 0.5, output_per_million: 0, currency: "EUR" },
};
const pricing = (m: string) => PRICES[m];
const row = (hourS: number, model: string, keyId: string, requests: number, promptTokens: number, completionTokens: number): UsageRow => ({
  hour: hourS * 1000,
  model,
  keyId,
  projectId: "p1",
  requests,
  promptTokens,
  completionTokens,
});
const ROWS = [
  row(T0, "chat", "k1", 2, 100, 50),
  row(T0 + H, "chat", "k2", 1, 10, 5),
  row(T0 + H, "embed", "k1", 3, 30, 0),
  row(T0 + DAY + 5 * H, "chat", "k1", 1, 1_000_000, 1_000_000),
];

function fails(params: string, param: string): void {
  try {
    q(params);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).param).toBe(param);
    return;
  }
  throw new Error(`expected ${params} to be refused`);
}

describe("usage query", () => {
  it("defaults to daily buckets up to now, aligned to UTC days", () => {
    expect(q(`start_time=${T0 + 100}`)).toMatchObject({ start: T0, end: T0 + 10 * DAY, width: "1d", limit: 7, groupBy: [], format: "json" });
  });

  it("reads lists given repeated, with [] or comma-separated", () => {
    expect(q(`start_time=${T0}&group_by=model,api_key_id`).groupBy).toEqual(["model", "api_key_id"]);
    expect(q(`start_time=${T0}&group_by[]=model&group_by[]=project_id`).groupBy).toEqual(["model", "project_id"]);
    expect(q(`start_time=${T0}&models=a&models=b`).models).toEqual(["a", "b"]);
  });

  it("refuses bad input naming the field", () => {
    fails("", "start_time");
    fails("start_time=yesterday", "start_time");
    fails(`start_time=${T0}&bucket_width=1w`, "bucket_width");
    fails(`start_time=${T0}&end_time=${T0}`, "end_time");
    fails(`start_time=${T0}&group_by=region`, "group_by");
    fails(`start_time=${T0}&limit=32`, "limit");
    fails(`start_time=${T0}&bucket_width=1h&limit=0`, "limit");
    fails(`start_time=${T0}&format=xml`, "format");
    fails(`start_time=${T0}&project_id=a&project_id=b`, "project_id");
    fails(`start_time=${T0}&page=${T0 - DAY}`, "page");
    fails(`start_time=${T0 - 400 * DAY}`, "end_time");
  });
});

describe("usage page", () => {
  it("sums a bucket's rows into one result when nothing is grouped, with cost", () => {
    const page = usagePage(ROWS, q(`start_time=${T0}&end_time=${T0 + 2 * DAY}`), pricing);
    expect(page).toMatchObject({ object: "page", has_more: false, next_page: null });
    expect(page.data.map((b) => [b.start_time, b.end_time])).toEqual([
      [T0, T0 + DAY],
      [T0 + DAY, T0 + 2 * DAY],
    ]);
    expect(page.data[0]!.results).toEqual([
      {
        object: "organization.usage.completions.result",
        input_tokens: 140,
        output_tokens: 55,
        num_model_requests: 6,
        project_id: "p1",
        api_key_id: null,
        model: null,
        // 110 x 1 + 55 x 3 + 30 x 0.5 per million.
        amount: { value: 0.00029, currency: "EUR" },
      },
    ]);
    expect(page.data[1]!.results[0]!.amount.value).toBe(4);
  });

  it("groups by model and key in hourly buckets, and leaves empty buckets empty", () => {
    const page = usagePage(ROWS, q(`start_time=${T0}&end_time=${T0 + 3 * H}&bucket_width=1h&group_by=model,api_key_id`), pricing);
    expect(page.data).toHaveLength(3);
    expect(page.data[1]!.results.map((r) => [r.model, r.api_key_id, r.num_model_requests])).toEqual([
      ["chat", "k2", 1],
      ["embed", "k1", 3],
    ]);
    expect(page.data[2]!.results).toEqual([]);
  });

  it("pages by bucket, with the next page's start as the cursor", () => {
    const first = usagePage(ROWS, q(`start_time=${T0}&end_time=${T0 + 3 * DAY}&limit=2`), pricing);
    expect(first.data).toHaveLength(2);
    expect(first).toMatchObject({ has_more: true, next_page: String(T0 + 2 * DAY) });
    const second = usagePage(ROWS, q(`start_time=${T0}&end_time=${T0 + 3 * DAY}&limit=2&page=${first.next_page}`), pricing);
    expect(second.data.map((b) => b.start_time)).toEqual([T0 + 2 * DAY]);
    expect(second.has_more).toBe(false);
  });

  it("filters by model and key", () => {
    const page = usagePage(ROWS, q(`start_time=${T0}&end_time=${T0 + DAY}&models=chat&api_key_ids=k1`), pricing);
    expect(page.data[0]!.results[0]).toMatchObject({ input_tokens: 100, output_tokens: 50, num_model_requests: 2 });
  });
});

describe("usage CSV", () => {
  it("writes one line per bucket, key and model, with cost", () => {
    const csv = usageCsv(ROWS, q(`start_time=${T0}&end_time=${T0 + 2 * DAY}&format=csv`), pricing);
    expect(csv.split("\r\n")).toEqual([
      CSV_HEADER,
      "2026-01-01T00:00:00.000Z,2026-01-02T00:00:00.000Z,p1,k1,chat,2,100,50,0.000250,EUR",
      "2026-01-01T00:00:00.000Z,2026-01-02T00:00:00.000Z,p1,k2,chat,1,10,5,0.000025,EUR",
      "2026-01-01T00:00:00.000Z,2026-01-02T00:00:00.000Z,p1,k1,embed,3,30,0,0.000015,EUR",
      "2026-01-02T00:00:00.000Z,2026-01-03T00:00:00.000Z,p1,k1,chat,1,1000000,1000000,4.000000,EUR",
      "",
    ]);
  });

  it("quotes fields that need it and defuses formulas", () => {
    const csv = usageCsv([{ ...ROWS[0]!, keyId: '=HYPERLINK("x")', model: "a,b" }], q(`start_time=${T0}&format=csv`), pricing);
    expect(csv.split("\r\n")[1]).toBe(`2026-01-01T00:00:00.000Z,2026-01-02T00:00:00.000Z,p1,"'=HYPERLINK(""x"")","a,b",2,100,50,,`);
  });
});
