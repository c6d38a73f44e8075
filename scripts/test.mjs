#!/usr/bin/env node
// `npm test`: every vitest project in its own vitest run, then the end-to-end test in headless
// Chromium (scripts/e2e.ts), in two lanes that run side by side: the `api` project (the
// longest) in one, every other project and then the e2e test one after another in the other.
// Most test time is waiting (queue batch timeouts, alarms, block times), so two lanes fit two
// cores; one project per process (a single run over all projects stalled between projects).
// The first lane streams its output; the second prints each run's output when it ends.
// A watchdog ends a vitest process whose every test file has reported but which does not
// exit within 20 s (seen, intermittently, after the `chaos` project, whose test calls
// abortAllDurableObjects(): the pool then never finishes closing); the per-file results (or
// the summary, when printed) decide pass or fail.
// `npm test -- <vitest args>` runs vitest with those args only.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";

const PROJECTS = ["api", "ads", "dht", "dht-256", "poe-epochs", "overload", "storage-limits", "chaos", "chaos-traffic"];
// Each project but `api` is one folder under test/ (vitest.config.ts); `api` is everything else.
const OWN = { ads: "ads", dht: "dht", "dht-256": "dht-256", "poe-epochs": "poe-epochs", overload: "overload", "storage-limits": "storage-limits", chaos: "chaos", "chaos-traffic": "chaos-traffic" };
const EXCLUDED = Object.values(OWN);

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? testFiles(path.join(dir, e.name)) : e.name.endsWith(".test.ts") ? [path.join(dir, e.name)] : []));
}
const filesOf = (project) =>
  project === "api" ? testFiles("test").filter((f) => !EXCLUDED.includes(f.split(path.sep)[1])).length : testFiles(path.join("test", OWN[project])).length;
const PROJECT_TIMEOUT_MS = 15 * 60_000;
const EXIT_GRACE_MS = 20_000;
// eslint-disable-next-line no-control-regex
const plain = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");

function run(cmd, args, expectedFiles = Infinity, buffered = false) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const held = [];
    const sink = (stream) => (buffered ? { write: (c) => held.push([stream, c]) } : stream);
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, env: process.env });
    let tail = "";
    let summary = null; // "passed" | "failed" once vitest printed its Test Files line, or every file its result
    let grace = null;
    const files = new Map(); // test file → "✓" | "×"
    const scan = (chunk, out) => {
      out.write(chunk);
      tail = (tail + plain(chunk.toString("utf8"))).slice(-4000);
      for (const f of tail.matchAll(/^\s*([✓×])\s+\S+\s+(test\/\S+\.test\.ts) \(/gm)) files.set(f[2], f[1]);
      const m = /Test Files\s+(.*)/.exec(tail);
      const done = m && /\(\d+\)/.test(m[1]) ? (/failed/.test(m[1]) ? "failed" : "passed") : files.size >= expectedFiles ? ([...files.values()].includes("×") ? "failed" : "passed") : null;
      if (done && summary === null) {
        summary = done;
        grace = setTimeout(() => {
          console.error(`\nnpm test: ${args.join(" ")} printed its summary but did not exit in ${EXIT_GRACE_MS / 1000} s; stopping it`);
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {}
        }, EXIT_GRACE_MS);
      }
    };
    child.stdout.on("data", (c) => scan(c, sink(process.stdout)));
    child.stderr.on("data", (c) => scan(c, sink(process.stderr)));
    const limit = setTimeout(() => {
      console.error(`\nnpm test: ${args.join(" ")} exceeded ${PROJECT_TIMEOUT_MS / 60_000} min; stopping it`);
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, PROJECT_TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(limit);
      if (grace) clearTimeout(grace);
      const ok = code === 0 || (code === null && summary === "passed");
      const s = ((Date.now() - t0) / 1000).toFixed(0);
      for (const [stream, c] of held) stream.write(c);
      console.log(`\nnpm test: ${args.join(" ")} ${ok ? "passed" : "FAILED"} in ${s} s`);
      resolve(ok);
    });
  });
}

const extra = process.argv.slice(2);
if (extra.length > 0) {
  process.exit((await run("npx", ["vitest", "run", ...extra])) ? 0 : 1);
}
const t0 = Date.now();
const vitest = (p, buffered) => run("npx", ["vitest", "run", "--project", p], filesOf(p), buffered);
async function laneB() {
  for (const p of PROJECTS.filter((x) => x !== "api")) if (!(await vitest(p, true))) return false;
  return run("npx", ["tsx", "scripts/e2e.ts"], Infinity, true);
}
const [a, b] = await Promise.all([vitest("api", false), laneB()]);
if (!a || !b) {
  console.log(`npm test: FAILED (${[!a && "api", !b && "the other projects or e2e"].filter(Boolean).join(", ")})`);
  process.exit(1);
}
console.log(`npm test: everything passed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
