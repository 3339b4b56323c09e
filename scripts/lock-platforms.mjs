// Restores lockfile entries for platform binaries the local registry mirror does not serve.
// The mirror here serves only Linux builds of workerd, so `npm install` drops the darwin and
// windows entries and `npm ci` then refuses the lock as out of sync. Each missing entry is
// rebuilt from its Linux sibling (same version, engines, licence) with the right os/cpu.
// Run after every `npm install` that changes the lock: `npm run deps:lock`.
import { readFileSync, writeFileSync } from "node:fs";

const LOCK = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, "utf8"));
const PLATFORMS = {
  "darwin-64": { os: "darwin", cpu: "x64" },
  "darwin-arm64": { os: "darwin", cpu: "arm64" },
  "windows-64": { os: "win32", cpu: "x64" },
};

let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  if (!path.endsWith("/workerd") || !entry.optionalDependencies) continue;
  const base = path.slice(0, -"workerd".length);
  const linux = lock.packages[`${base}@cloudflare/workerd-linux-64`];
  if (!linux) continue;
  for (const [suffix, { os, cpu }] of Object.entries(PLATFORMS)) {
    const name = `@cloudflare/workerd-${suffix}`;
    if (!(name in entry.optionalDependencies)) continue;
    const key = `${base}${name}`;
    if (lock.packages[key]) continue;
    const { integrity: _drop, ...rest } = linux;
    lock.packages[key] = { ...rest, cpu: [cpu], os: [os] };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
writeFileSync(LOCK, JSON.stringify(lock, null, 2) + "\n");
console.log(`lock-platforms: ${added} entr${added === 1 ? "y" : "ies"} added`);
