// GET / (network explorer), GET /docs (interactive API reference), GET /openapi.json.
// Self-contained pages: no CDN, so they work offline under `wrangler dev`.
import { Hono } from "hono";
import type { Env } from "../../env";
import { openApiDocument } from "../../openapi";
import { withTags } from "../openapi-tags";
import { DOCS_HTML, EXPLORER_HTML } from "../pages";

export const pages = new Hono<{ Bindings: Env }>();

let openapi: string | undefined;

pages.get("/openapi.json", (c) => {
  openapi ??= JSON.stringify(withTags(openApiDocument()));
  return c.body(openapi, 200, { "content-type": "application/json" });
});
pages.get("/docs", (c) => c.html(DOCS_HTML));
pages.get("/", (c) => c.html(EXPLORER_HTML));
