// Prints vitest's JSON report as one plain line, "tests: N passed, N failed, N skipped".

import { existsSync, readFileSync } from "node:fs";

const file = process.argv[2] ?? ".ci/out/vitest.json";
if (!existsSync(file)) {
  console.log("tests: 0 passed, 1 failed (no report: the run stopped before the tests)");
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, "utf8")) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
