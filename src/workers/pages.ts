// HTML shells of the explorer (GET /) and the API reference (GET /docs). Their code is in
// Workers static assets ([assets] in wrangler.toml, built by scripts/build-assets.mjs):
// /explorer/explorer.js (src/explorer/main.ts + the client SDK, bundled for the browser) and
// /swagger-ui/ (swagger-ui-dist). Nothing is loaded from outside this deployment.

const STYLE = `
  body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
  header{background:#14213d;color:#fff;padding:10px 24px;display:flex;gap:20px;align-items:center;flex-wrap:wrap}
  header a{color:#fca311;text-decoration:none} header form{margin-left:auto;display:flex;gap:6px}
  header input{width:360px;padding:4px 8px;border-radius:4px;border:0}
  main{padding:16px 24px;max-width:1200px}
  section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px 16px;margin:12px 0}
  .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px} .grid section{margin:0}
  h2{font-size:16px;margin:0 0 8px} h3{font-size:14px;margin:12px 0 6px}
  table{border-collapse:collapse;width:100%} td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;font-size:12px}
  td{font-family:ui-monospace,monospace} .kv th{width:160px;color:#555;font-weight:500}
  pre{background:#0f172a;color:#e2e8f0;padding:8px;border-radius:4px;overflow:auto;max-height:420px;font-size:12px}
  .ok{color:#15803d;font-weight:600} .bad,.err{color:#b91c1c} .na,.muted{color:#6b7280} .snippet{color:#333;margin:2px 0 8px}
  a{color:#1d4ed8}
`;

const HEADER = `<header><strong>EchoNet</strong><a href="/">Explorer</a><a href="/docs">API reference</a><a href="/openapi.json">openapi.json</a>
<form id="search"><input id="q" name="q" placeholder="search posts, or an event id, did:key, block height" aria-label="search"><button>Go</button></form></header>`;

export const EXPLORER_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>EchoNet explorer</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="/favicon.svg"><style>${STYLE}</style>
<script type="module" src="/explorer/explorer.js"></script></head><body>
${HEADER}
<main id="app"><p id="boot">loading the explorer…</p></main>
<script>
// If the bundle is missing (assets not built), say so instead of showing a blank page.
setTimeout(function () {
  if (window.echonetExplorer) return;
  var boot = document.getElementById("boot");
  if (boot) boot.textContent = "The explorer script did not load: build the assets with node scripts/build-assets.mjs (wrangler dev runs it).";
}, 5000);
</script></body></html>`;

export const DOCS_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>EchoNet API reference</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE} main{max-width:none;padding:0}</style>
<link rel="stylesheet" href="/swagger-ui/swagger-ui.css">
<script src="/swagger-ui/swagger-ui-bundle.js"></script></head><body>
<header><strong>EchoNet API</strong><a href="/">Explorer</a><a href="/docs">API reference</a><a href="/openapi.json">openapi.json</a></header>
<main><div id="swagger-ui">loading the API reference…</div></main>
<script>
// Swagger UI over this deployment's own /openapi.json: browse every operation and schema, and
// "Try it out" against this deployment (Authorize with the admin bearer token for /v1/admin).
window.addEventListener("load", function () {
  var el = document.getElementById("swagger-ui");
  if (typeof SwaggerUIBundle !== "function") {
    el.innerHTML = 'The API reference script did not load (build the assets with node scripts/build-assets.mjs). The raw document is at <a href="/openapi.json">/openapi.json</a>.';
    return;
  }
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
  });
});
</script></body></html>`;
