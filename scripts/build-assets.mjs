#!/usr/bin/env node
// Builds the Workers static assets (wrangler.toml [assets] → public/, whose committed files are the static ones), run by wrangler's
// [build] before `wrangler dev` and `wrangler deploy`, and by the e2e test:
//   /explorer/explorer.js  src/explorer/main.ts with the client SDK, bundled for the browser
//   /swagger-ui/           the Swagger UI bundle and stylesheet (swagger-ui-dist), for /docs
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "public");
const require = createRequire(import.meta.url);

for (const d of ["explorer", "swagger-ui"]) rmSync(join(out, d), { recursive: true, force: true });
mkdirSync(join(out, "explorer"), { recursive: true });
mkdirSync(join(out, "swagger-ui"), { recursive: true });

await build({
  entryPoints: [join(root, "src", "explorer", "main.ts")],
  outfile: join(out, "explorer", "explorer.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
});

const swagger = dirname(require.resolve("swagger-ui-dist/package.json"));
for (const f of ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"]) copyFileSync(join(swagger, f), join(out, "swagger-ui", f));

console.log(`assets built in ${out}`);
