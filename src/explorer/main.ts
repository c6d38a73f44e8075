// The network explorer (GET /): a single page over this deployment's public API, through the
// client SDK bundled for the browser (scripts/build-assets.mjs). Receipts are verified here,
// in the browser, against GET /v1/witnesses. Hash routes: #/ · #/event/<id> · #/block/<h> ·
// #/account/<did> · #/content/<id> · #/campaign/<id> · #/search/<query>.
// Sections whose capability this deployment does not have (DHT, ads, rewards) say so.
import { EchoNetClient, EchoNetError, isNotAvailable, unitsToEcho } from "../client";

const client = new EchoNetClient({ url: location.origin });

type Child = DomNode | string | number | null | undefined | false;
function h(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): DomElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const link = (href: string, text: string) => h("a", { href }, text);
const short = (s: string, n = 12) => (s.length > n + 3 ? `${s.slice(0, n)}…` : s);
const didLink = (did: string) => link(`#/account/${encodeURIComponent(did)}`, short(did, 20));
const eventLink = (id: string) => link(`#/event/${id}`, short(id, 16));
const echo = (units: string) => `${unitsToEcho(units)} ECHO`;

function table(head: string[], rows: Child[][]): DomElement {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ...head.map((x) => h("th", {}, x)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((x) => h("td", {}, x))))),
  );
}
const kv = (rows: [string, Child][]) => h("table", { class: "kv" }, ...rows.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v))));

/** A titled panel whose body comes from `load`; 404-no-route shows "not available". */
function panel(id: string, title: string | null, load: () => Promise<Child>): DomElement {
  const body = h("div", { class: "body" }, "loading…");
  const sec = h("section", { id }, title === null ? null : h("h2", {}, title), body);
  void fill(body, load);
  return sec;
}
async function fill(body: DomElement, load: () => Promise<Child>): Promise<void> {
  try {
    const c = await load();
    body.replaceChildren(c instanceof Node ? c : String(c ?? ""));
    body.removeAttribute("data-error");
  } catch (e) {
    if (isNotAvailable(e)) {
      body.replaceChildren(h("p", { class: "na" }, "not available on this deployment"));
      body.setAttribute("data-error", "not-available");
    } else {
      body.replaceChildren(h("p", { class: "err" }, e instanceof EchoNetError ? e.message : `unavailable: ${String(e)}`));
      body.setAttribute("data-error", e instanceof EchoNetError ? e.code : "error");
    }
  }
}

// ---- home ----

async function statusView(): Promise<DomNode> {
  const s = await client.status();
  return kv([
    ["settled height", s.settledHeight],
    ["latest height", s.latestHeight],
    ...Object.entries(s.events).map(([k, n]) => [`events ${k}`, n] as [string, Child]),
    ["inbox", `${s.inbox.pending} / ${s.inbox.max}`],
    ...Object.entries(s.queues).map(([q, v]) => [`lag ${q}`, v.lag] as [string, Child]),
    ["updated", s.time],
  ]);
}

async function blocksView(): Promise<DomNode> {
  const blocks = await client.latestBlocks(10);
  return table(
    ["height", "events", "created", "hash"],
    blocks.map((b) => [link(`#/block/${b.height}`, String(b.height)), b.events.length, b.createdAt, h("code", {}, short(b.hash, 16))]),
  );
}

async function witnessesView(): Promise<DomNode> {
  const w = await client.witnesses();
  return h("div", {}, h("p", {}, `committee ${w.committeeSize}, quorum ${w.quorum}`), table(["did", "status"], w.witnesses.map((x) => [h("code", {}, x.did), x.status])));
}

async function storageView(): Promise<DomNode> {
  const [nodes, audits] = await Promise.all([client.storageNodes(), client.storageAudits()]);
  const mib = (b: number) => (b < 1_048_576 ? `${(b / 1024).toFixed(1)} KiB` : `${(b / 1_048_576).toFixed(1)} MiB`);
  return h(
    "div",
    {},
    table(
      ["node", "status", "chunks", "used", "capacity", "audit pass rate"],
      nodes.nodes.map((n) => [n.id, n.status, n.chunks, mib(n.usedBytes), mib(n.capacityBytes), `${(n.auditPassRate * 100).toFixed(1)}%`]),
    ),
    h("h3", {}, "Recent audits"),
    audits.rounds.length === 0
      ? h("p", {}, "no audit round yet")
      : table(
          ["round", "finished", "height", "checked", "failed", "repaired"],
          audits.rounds.slice(0, 8).map((r) => [r.id, r.finishedAt, r.height, r.checked, r.failed, r.repaired]),
        ),
  );
}

async function dhtView(): Promise<DomNode> {
  const d = await client.dhtNodes();
  return h("div", {}, h("p", {}, `${d.nodes.length} hosted nodes`), table(["node id", "did", "buckets", "records"], d.nodes.slice(0, 32).map((n) => [h("code", {}, short(n.id, 16)), didLink(n.did), n.buckets, n.records])));
}

async function campaignsView(): Promise<DomNode> {
  let c: Awaited<ReturnType<typeof client.campaigns>>;
  try {
    c = await client.campaigns();
  } catch (e) {
    // A deployment may list campaigns only per advertiser (GET /v1/campaigns?advertiser=).
    if (e instanceof EchoNetError && e.code === "validation_failed") return h("p", {}, "open an advertiser's account to see their campaigns");
    throw e;
  }
  if (c.campaigns.length === 0) return h("p", {}, "no campaigns");
  return campaignTable(c.campaigns);
}
const campaignTable = (cs: Awaited<ReturnType<typeof client.campaigns>>["campaigns"]) =>
  table(
    ["campaign", "advertiser", "status", "bid", "budget", "spent", "impressions", "clicks"],
    cs.map((c) => [link(`#/campaign/${c.id}`, short(c.id, 12)), didLink(c.advertiser), c.status, `${c.bid.model} ${echo(c.bid.amount)}`, echo(c.budget), echo(c.spent), c.impressions, c.clicks]),
  );

async function epochView(): Promise<DomNode> {
  const e = await client.currentEpoch();
  return kv([
    ["epoch", e.epoch],
    ["status", e.status],
    ["window", `${e.startsAt} → ${e.endsAt}`],
    ["pool", echo(e.pool)],
    ["ad revenue", echo(e.adRevenue)],
    ["recipients", e.recipients],
  ]);
}

async function supplyView(): Promise<DomNode> {
  const s = await client.supply();
  return kv([
    ["minted", echo(s.minted)],
    ["burned", echo(s.burned)],
    ["circulating", echo(s.circulating)],
    ["escrowed", echo(s.escrowed)],
    ["in flight", echo(s.inFlight)],
    ["height", s.height],
  ]);
}

function home(): DomNode[] {
  const status = panel("status", "Network status", statusView);
  const blocks = panel("blocks", "Latest blocks", blocksView);
  const timer = setInterval(() => {
    if (!document.body.contains(status)) return clearInterval(timer);
    void fill(status.querySelector(".body")!, statusView);
    void fill(blocks.querySelector(".body")!, blocksView);
  }, 3000);
  return [
    h("div", { class: "grid" }, status, panel("supply", "Supply", supplyView)),
    blocks,
    panel("storage", "Storage nodes and audits", storageView),
    panel("dht", "DHT nodes", dhtView),
    panel("campaigns", "Ad campaigns", campaignsView),
    panel("epoch", "Rewards epoch", epochView),
    panel("witnesses", "Witnesses", witnessesView),
  ];
}

// ---- detail pages ----

async function eventPage(id: string): Promise<DomNode> {
  const rec = await client.event(id);
  if (rec.status === "pending" || rec.status === "attested") {
    // Not final yet: look again shortly, as long as this page is still open.
    const hash = location.hash;
    setTimeout(() => location.hash === hash && route(), 1000);
  }
  const check = h("p", { id: "receipt-check", class: "pending" }, rec.receipt ? "verifying receipt…" : `no receipt yet (status ${rec.status})`);
  if (rec.receipt) {
    void client.verifyReceipt(rec).then(
      (v) => {
        check.className = v.ok ? "ok" : "bad";
        check.replaceChildren(v.ok ? `✓ receipt verified in your browser: ${rec.receipt!.attestations.filter((a) => a.verdict === "accept").length} of ${rec.receipt!.committee.length} committee witnesses accepted (quorum ${rec.receipt!.quorum})` : "✗ receipt NOT verified", ...v.errors.map((e) => h("div", {}, e)));
      },
      (e) => {
        check.className = "bad";
        check.textContent = `could not verify: ${String(e)}`;
      },
    );
  }
  const e = rec.event;
  const body = e.body as Record<string, unknown>;
  const target = typeof body.target === "string" ? body.target : undefined;
  return h(
    "div",
    {},
    h("h2", {}, `Event ${e.kind}`),
    kv([
      ["id", h("code", {}, rec.id)],
      ["status", h("span", { id: "event-status" }, rec.status + (rec.reason ? ` (${rec.reason})` : ""))],
      ["author", didLink(e.author)],
      ["created", e.createdAt],
      ["block", rec.receipt?.block !== undefined ? link(`#/block/${rec.receipt.block}`, String(rec.receipt.block)) : "—"],
      ["sequence", rec.receipt?.sequence ?? "—"],
      ["content", e.kind === "content.post" ? link(`#/content/${rec.id}`, "view post") : target ? link(`#/content/${target}`, "target post") : "—"],
    ]),
    h("h3", {}, "Receipt"),
    check,
    rec.receipt ? table(["witness", "verdict", "reason"], rec.receipt.attestations.map((a) => [h("code", {}, short(a.witness, 24)), a.verdict, a.reason ?? ""])) : null,
    h("h3", {}, "Body"),
    h("pre", {}, JSON.stringify(e.body, null, 2)),
  );
}

async function blockPage(height: number): Promise<DomNode> {
  const b = await client.block(height);
  return h(
    "div",
    {},
    h("h2", {}, `Block ${b.height}`),
    kv([
      ["hash", h("code", {}, b.hash)],
      ["previous", b.height > 0 ? link(`#/block/${b.height - 1}`, b.prevHash) : b.prevHash],
      ["created", b.createdAt],
      ["events", b.events.length],
    ]),
    h("ul", {}, ...b.events.map((id) => h("li", {}, eventLink(id)))),
    h("p", {}, link(`#/block/${b.height + 1}`, "next block →")),
  );
}

async function accountPage(did: string): Promise<DomNode> {
  const a = await client.account(did);
  return h(
    "div",
    {},
    h("h2", {}, "Account"),
    kv([
      ["did", h("code", {}, a.did)],
      ["balance", echo(a.balance)],
      ["escrowed", echo(a.escrowed)],
      ["reputation", a.reputation],
      ["height", a.height],
    ]),
    panel("account-posts", "Posts", async () => {
      const c = await client.authorContent(did, { limit: 20 });
      return c.items.length === 0 ? h("p", {}, "no posts") : table(["post", "title", "created", "likes"], c.items.map((p) => [link(`#/content/${p.id}`, short(p.id, 12)), p.title ?? short(p.text, 60), p.createdAt, p.stats.likes]));
    }),
    panel("account-storage", "Storage", async () => {
      const u = await client.storageUsage(did);
      return kv([
        ["chunks", u.chunks],
        ["used", `${u.usedBytes} bytes of ${u.quotaBytes}`],
      ]);
    }),
    panel("account-campaigns", "Campaigns", async () => {
      const c = await client.campaigns(did);
      return c.campaigns.length === 0 ? h("p", {}, "no campaigns") : campaignTable(c.campaigns);
    }),
  );
}

async function contentPage(id: string): Promise<DomNode> {
  const [c, comments] = await Promise.all([client.content(id), client.comments(id, { limit: 20 })]);
  return h(
    "div",
    {},
    h("h2", {}, c.title ?? "Post"),
    h("p", { class: "post-text" }, c.status === "deleted" ? "(deleted)" : c.text),
    kv([
      ["id", eventLink(c.id)],
      ["author", didLink(c.author)],
      ["created", c.createdAt],
      ["tags", c.tags.join(", ") || "—"],
      ["stats", `${c.stats.views} views · ${c.stats.likes} likes · ${c.stats.comments} comments · ${c.stats.shares} shares`],
      ["chunks", c.chunks.length ? h("span", {}, ...c.chunks.flatMap((x) => [link(`/v1/chunks/${x}`, short(x, 20)), " "])) : "—"],
      ["block", link(`#/block/${c.block}`, String(c.block))],
    ]),
    h("h3", {}, "Comments"),
    comments.comments.length === 0 ? h("p", {}, "no comments") : h("ul", {}, ...comments.comments.map((x) => h("li", {}, didLink(x.author), ": ", x.text))),
  );
}

async function campaignPage(id: string): Promise<DomNode> {
  const c = await client.campaign(id);
  return h("div", {}, h("h2", {}, "Campaign"), kv([
    ["id", eventLink(c.id)],
    ["advertiser", didLink(c.advertiser)],
    ["status", c.status],
    ["bid", `${c.bid.model} ${echo(c.bid.amount)}`],
    ["budget", echo(c.budget)],
    ["spent", echo(c.spent)],
    ["reserved", echo(c.reserved)],
    ["remaining", echo(c.remaining)],
    ["impressions", c.impressions],
    ["clicks", c.clicks],
    ["ctr", c.ctr],
  ]));
}

async function searchPage(q: string): Promise<DomNode> {
  const r = await client.search(q, { limit: 20 });
  return h(
    "div",
    { id: "search-results" },
    h("h2", {}, `Search: ${q}`),
    r.results.length === 0
      ? h("p", {}, "no results")
      : h("ol", {}, ...r.results.map((x) => h("li", { class: "result" }, link(`#/content/${x.id}`, x.title || "(untitled)"), " ", h("span", { class: "muted" }, `score ${x.score.toPrecision(3)} · `, didLink(x.author)), h("div", { class: "snippet" }, x.snippet)))),
  );
}

// ---- router ----

const main = document.getElementById("app")!;

function route(): void {
  const [, kind = "", ...rest] = location.hash.replace(/^#/, "").split("/");
  const arg = decodeURIComponent(rest.join("/"));
  // Detail pages carry their own heading.
  const detail = (_what: string, load: () => Promise<DomNode>) => main.replaceChildren(panel("detail", null, load));
  switch (kind) {
    case "event":
      return detail("Event", () => eventPage(arg));
    case "block":
      return detail("Block", () => blockPage(Number(arg)));
    case "account":
      return detail("Account", () => accountPage(arg));
    case "content":
      return detail("Post", () => contentPage(arg));
    case "campaign":
      return detail("Campaign", () => campaignPage(arg));
    case "search":
      (document.getElementById("q") as DomElement).value = arg;
      return detail("Search", () => searchPage(arg));
    default:
      main.replaceChildren(...home());
  }
}

/** The search box also jumps: an event id, a did, a block height, a chunk CID. */
function go(input: string): void {
  const q = input.trim();
  if (!q) return;
  if (/^[0-9a-f]{64}$/.test(q)) location.hash = `#/event/${q}`;
  else if (/^did:key:/.test(q)) location.hash = `#/account/${encodeURIComponent(q)}`;
  else if (/^\d+$/.test(q)) location.hash = `#/block/${q}`;
  else if (/^bafk[a-z2-7]+$/.test(q)) location.href = `/v1/chunks/${q}/meta`;
  else location.hash = `#/search/${encodeURIComponent(q)}`;
}

document.getElementById("search")!.addEventListener("submit", (e) => {
  e.preventDefault();
  go((document.getElementById("q") as DomElement).value);
});
window.addEventListener("hashchange", route);
(window as unknown as { echonetExplorer: boolean }).echonetExplorer = true;
route();
