// HTML of the explorer and the API reference. Plain DOM code, no framework, no network
// beyond this deployment's own API.

const STYLE = `
  body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
  header{background:#14213d;color:#fff;padding:12px 24px;display:flex;gap:24px;align-items:center}
  header a{color:#fca311;text-decoration:none} main{padding:16px 24px;max-width:1100px}
  section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px 16px;margin:12px 0}
  h2{font-size:16px;margin:0 0 8px} table{border-collapse:collapse;width:100%} td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;font-family:ui-monospace,monospace;font-size:12px}
  pre{background:#0f172a;color:#e2e8f0;padding:8px;border-radius:4px;overflow:auto;max-height:420px;font-size:12px}
  input,textarea{font-family:ui-monospace,monospace;font-size:12px;width:100%;box-sizing:border-box} button{margin-top:4px}
  .op{border-top:1px solid #eee;padding:8px 0} .m{display:inline-block;min-width:54px;font-weight:700} .get{color:#2563eb} .post{color:#16a34a}
`;

export const EXPLORER_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>EchoNet explorer</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head><body>
<header><strong>EchoNet</strong><a href="/">Explorer</a><a href="/docs">API reference</a><a href="/openapi.json">openapi.json</a></header>
<main>
<section><h2>Network status</h2><div id="status">loading…</div></section>
<section><h2>Latest blocks</h2><div id="blocks">loading…</div></section>
<section><h2>Look up an account</h2><input id="did" placeholder="did:key:z6Mk…"><button id="goacct">Look up</button><pre id="acct" hidden></pre></section>
<section><h2>Look up an event</h2><input id="eid" placeholder="64-hex event id"><button id="go">Look up</button><pre id="event" hidden></pre></section>
<section><h2>Witnesses</h2><div id="witnesses">loading…</div></section>
</main>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (ch) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[ch]));
const table = (rows) => "<table>" + rows.map((r) => "<tr>" + r.map((x) => "<td>" + esc(x) + "</td>").join("") + "</tr>").join("") + "</table>";
async function refresh() {
  try {
    const s = await (await fetch("/v1/status")).json();
    document.getElementById("status").innerHTML = table([
      ["settled height", s.settledHeight ?? "—"], ["latest height", s.latestHeight ?? "—"],
      ...Object.entries(s.events).map(([k, n]) => ["events " + k, n]),
      ["inbox", s.inbox.pending + " / " + s.inbox.max], ["updated", s.time]]);
  } catch (e) { document.getElementById("status").textContent = "unavailable: " + e; }
}
async function blocks() {
  try {
    const latest = await (await fetch("/v1/blocks/latest")).json();
    const rows = [["height", "events", "created", "hash"]];
    for (let h = latest.height; h >= Math.max(0, latest.height - 9); h--) {
      const b = h === latest.height ? latest : await (await fetch("/v1/blocks/" + h)).json();
      rows.push([b.height, b.events.length, b.createdAt, b.hash.slice(0, 16) + "…"]);
    }
    document.getElementById("blocks").innerHTML = table(rows);
  } catch (e) { document.getElementById("blocks").textContent = "unavailable: " + e; }
}
document.getElementById("goacct").onclick = async () => {
  const did = document.getElementById("did").value.trim();
  const out = document.getElementById("acct");
  out.hidden = false;
  const r = await fetch("/v1/accounts/" + encodeURIComponent(did));
  out.textContent = r.status + "\\n" + JSON.stringify(await r.json(), null, 2);
};
async function witnesses() {
  const w = await (await fetch("/v1/witnesses")).json();
  document.getElementById("witnesses").innerHTML = "<p>committee " + w.committeeSize + ", quorum " + w.quorum + "</p>" +
    table(w.witnesses.map((x) => [x.did, x.status]));
}
document.getElementById("go").onclick = async () => {
  const id = document.getElementById("eid").value.trim();
  const out = document.getElementById("event");
  out.hidden = false;
  const r = await fetch("/v1/events/" + encodeURIComponent(id));
  out.textContent = r.status + "\\n" + JSON.stringify(await r.json(), null, 2);
};
refresh(); blocks(); witnesses(); setInterval(() => { refresh(); blocks(); }, 3000);
</script></body></html>`;

export const DOCS_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>EchoNet API reference</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head><body>
<header><strong>EchoNet API</strong><a href="/">Explorer</a><a href="/docs">API reference</a><a href="/openapi.json">openapi.json</a></header>
<main><div id="ops">loading…</div><section><h2>Schemas</h2><div id="schemas"></div></section></main>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (ch) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[ch]));
(async () => {
  const doc = await (await fetch("/openapi.json")).json();
  const ops = document.getElementById("ops");
  ops.innerHTML = "";
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const sec = document.createElement("section");
      const hasBody = !!op.requestBody;
      const params = (op.parameters || []).filter((p) => p.in === "path" || p.in === "query" || p.in === "header");
      sec.innerHTML = '<div class="op"><span class="m ' + method + '">' + method.toUpperCase() + "</span> <code>" + esc(path) + "</code> — " + esc(op.summary || "") +
        (op.description ? "<p>" + esc(op.description) + "</p>" : "") +
        "<p>Responses: " + Object.entries(op.responses).map(([k, v]) => "<code>" + k + "</code> " + esc(v.description)).join(" · ") + "</p>" +
        params.map((p) => '<label>' + esc(p.name) + " (" + p.in + ') <input data-in="' + p.in + '" data-param="' + esc(p.name) + '"></label>').join("") +
        (op.security ? '<label>Bearer token <input data-token value=""></label>' : "") +
        (hasBody ? '<textarea rows="6" data-body placeholder="JSON body"></textarea>' : "") +
        '<button>Try it</button><pre hidden></pre></div>';
      sec.querySelector("button").onclick = async () => {
        let url = path;
        const query = new URLSearchParams();
        const headers = { "content-type": "application/json" };
        sec.querySelectorAll("[data-param]").forEach((i) => {
          if (i.dataset.in === "path") url = url.replace("{" + i.dataset.param + "}", encodeURIComponent(i.value));
          else if (i.value && i.dataset.in === "query") query.set(i.dataset.param, i.value);
          else if (i.value) headers[i.dataset.param] = i.value;
        });
        if ([...query].length) url += "?" + query;
        const tok = sec.querySelector("[data-token]");
        if (tok && tok.value) headers.authorization = "Bearer " + tok.value;
        const body = sec.querySelector("[data-body]");
        const r = await fetch(url, { method: method.toUpperCase(), headers, body: hasBody ? body.value : undefined });
        const pre = sec.querySelector("pre");
        pre.hidden = false;
        const text = await r.text();
        try { pre.textContent = r.status + "\\n" + JSON.stringify(JSON.parse(text), null, 2); } catch { pre.textContent = r.status + "\\n" + text; }
      };
      ops.appendChild(sec);
    }
  }
  document.getElementById("schemas").innerHTML = Object.entries(doc.components.schemas)
    .map(([name, s]) => "<details><summary><code>" + esc(name) + "</code></summary><pre>" + esc(JSON.stringify(s, null, 2)) + "</pre></details>").join("");
})();
</script></body></html>`;
