#!/usr/bin/env node
// postinstall: a one-line fix to an installed dependency, applied idempotently after every
// `npm install` / `npm ci` (no network, no extra package).
//
// @cloudflare/vitest-pool-workers 0.15.1 (the newest that runs with wrangler 4.86 on Node 20)
// re-wraps a Durable Object wrapper class's prototype in one more Proxy on every construction
// (workers-sdk#15092): property access on the N-th instance walks N proxies, and with 256
// DhtNode instances the isolate ends in "Maximum call stack size exceeded". Upstream fixed it
// in #15106 by installing the proxy once per class; this applies the same guard. When the
// pool is upgraded past the fix, the pattern is no longer found and this script says so.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const file = path.join(root, "node_modules/@cloudflare/vitest-pool-workers/dist/worker/lib/cloudflare/test-internal.mjs");
const MARK = "/* echonet: proxy installed once (workers-sdk#15106) */";
const BEFORE = "\tfunction Class(...args) {\n\t\tClass.prototype = new Proxy(Class.prototype, {";
const AFTER = `\tlet proxied = false; ${MARK}\n\tfunction Class(...args) {\n\t\tif (!proxied && (proxied = true)) Class.prototype = new Proxy(Class.prototype, {`;

if (!existsSync(file)) {
  console.log("patch-deps: @cloudflare/vitest-pool-workers not installed; nothing to patch");
} else {
  const src = readFileSync(file, "utf8");
  if (src.includes(MARK)) {
    console.log("patch-deps: vitest-pool-workers proxy fix already applied");
  } else if (src.includes(BEFORE)) {
    writeFileSync(file, src.replace(BEFORE, AFTER));
    console.log("patch-deps: applied the vitest-pool-workers proxy fix (workers-sdk#15092)");
  } else {
    console.log("patch-deps: vitest-pool-workers no longer has the nested-proxy code (upgraded?); remove scripts/patch-deps.mjs");
  }
}
