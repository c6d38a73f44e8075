// `npm run schemas`: regenerates schemas/*.json from the zod registry (a test fails when stale).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { schemaFiles } from "../src/openapi";

const dir = join(import.meta.dirname, "..", "schemas");
mkdirSync(dir, { recursive: true });
const files = schemaFiles();
for (const f of readdirSync(dir)) if (f.endsWith(".json") && !(f in files)) rmSync(join(dir, f));
for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
console.log(`wrote ${Object.keys(files).length} schemas to schemas/`);
