#!/usr/bin/env node
// `npm test`: every vitest project in its own vitest run, one after another, then the
// end-to-end test in headless Chromium (scripts/e2e.ts). One project per process keeps one
// workerd instance alive at a time on a 2-core machine; in a single run with all eight
// projects the pool occasionally stalled between projects (seen twice locally), and a stalled
// run is worse than a slower one. `npm test -- <vitest args>` runs vitest with those args only.
import { spawnSync } from "node:child_process";

const PROJECTS = ["api", "ads", "dht", "poe-epochs", "overload", "storage-limits", "chaos", "chaos-traffic"];
const PROJECT_TIMEOUT_MS = 15 * 60_000;

const run = (cmd, args) => {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: "inherit", timeout: PROJECT_TIMEOUT_MS, env: process.env });
  const s = ((Date.now() - t0) / 1000).toFixed(0);
  if (r.status !== 0) {
    console.error(`\nnpm test: ${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}) after ${s} s`);
    process.exit(1);
  }
  console.log(`\nnpm test: ${args.join(" ")} passed in ${s} s`);
};

const extra = process.argv.slice(2);
if (extra.length > 0) {
  run("npx", ["vitest", "run", ...extra]);
} else {
  const t0 = Date.now();
  for (const p of PROJECTS) run("npx", ["vitest", "run", "--project", p]);
  run("npx", ["tsx", "scripts/e2e.ts"]);
  console.log(`npm test: everything passed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
