#!/usr/bin/env node
// `npm start`: the local network, offline, on http://127.0.0.1:8787.
// Creates .dev.vars from the committed .dev.vars.example (ADMIN_TOKEN=dev-admin-token) when missing.
import { copyFileSync, existsSync } from "node:fs";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const devVars = join(root, ".dev.vars");
if (!existsSync(devVars)) {
  copyFileSync(join(root, ".dev.vars.example"), devVars);
  console.log("created .dev.vars from .dev.vars.example");
}

const wrangler = join(root, "node_modules", ".bin", "wrangler");
const child = spawn(wrangler, ["dev", "--ip", "127.0.0.1", "--port", "8787", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
