// `npm run bench:ads` (issue 7): the ad marketplace under load, measured against the reference
// worker (bench/reference: one Hono route → one DO RPC → one SQLite INSERT) in the same run.
//   1. reference req/s (autocannon, fixed body)
//   2. setup: advertisers minted, BENCH_ADS_CAMPAIGNS (default 10,000; quick 1,000) campaigns
//      created through signed campaign.create events, waited until applied
//   3. auctions/s with every campaign active: autocannon POST /v1/ads/auction, each request
//      signed by its publisher just before it is sent; p50/p99 latency
//   4. reference again (the ratio uses the mean of both reference runs)
//   5. interactions: tokens collected from real auctions, then POST /v1/ads/events (autocannon,
//      one impression per token), and the time until every one is charged (Campaign DOs'
//      impression counters) → interaction events charged per second
// Writes bench/results/ads.json (quick: bench/results/quick-ads.json.tmp) and
// bench/results/ads.md (not in quick mode). BENCH_QUICK=1 for a short run.
import { createHash, sign as nodeSign } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { canonicalBytes } from "../src/lib/jcs";
import { toBase64Url } from "../src/lib/encoding";
import { requestAuthMessage } from "../src/lib/request-auth";
import { ROOT, KEEP, setTmpDir, stopAll, sleep, startWrangler, waitReady, deriveEchonetConfig, makeAuthors, openFds, postJson, pool, profiled, type Author } from "./bench-lib";

const QUICK = process.env.BENCH_QUICK === "1";
const CAMPAIGNS = Number(process.env.BENCH_ADS_CAMPAIGNS ?? (QUICK ? 1000 : 10_000));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** Cap (s) on waiting, after the setup, for idle Campaign DOs to close. */
const IDLE_CAP_S = Number(process.env.BENCH_ADS_IDLE_CAP_S ?? 120);
const D = QUICK
  ? { reference: 4, auction: 6, tokens: 500, advertisers: 10, publishers: 20 }
  : { reference: 15, auction: 20, tokens: 3000, advertisers: 50, publishers: 100 };
const TARGET_RATIO = 0.6;
const LEASE_MS = Number(process.env.BENCH_ADS_LEASE_MS ?? 900_000);
const ADMIN_TOKEN = "bench-admin-token";
const VOCAB = Array.from({ length: 300 }, (_, i) => `word${i}`);
const TAGS = Array.from({ length: 40 }, (_, i) => `tag${i}`);
const runTag = Date.now().toString(36);
let nonceSeq = 0;

const log = (m: string) => console.log(`[bench:ads ${new Date().toISOString().slice(11, 19)}] ${m}`);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;

function signEvent(a: Author, kind: string, body: Record<string, unknown>): string {
  const unsigned = { v: 1, kind, author: a.did, nonce: `a${runTag}-${(nonceSeq++).toString(36)}`, createdAt: new Date().toISOString(), body };
  const sig = toBase64Url(new Uint8Array(nodeSign(null, canonicalBytes(unsigned), a.key)));
  return JSON.stringify({ ...unsigned, sig });
}

function authHeader(a: Author, method: string, p: string, body: string): string {
  const ts = new Date().toISOString();
  const hash = createHash("sha256").update(body).digest("hex");
  const sig = nodeSign(null, Buffer.from(requestAuthMessage(method, p, ts, hash), "utf8"), a.key);
  return `EchoNet did="${a.did}", ts="${ts}", sig="${toBase64Url(new Uint8Array(sig))}"`;
}

function campaignBody(i: number) {
  const cpc = i % 5 === 0;
  const ron = i % 10 === 3; // 10% run-of-network (no keyword or tag targeting)
  const keywords = ron ? undefined : [...new Set([pick(VOCAB), pick(VOCAB), pick(VOCAB)].slice(0, 1 + (i % 3)))];
  return {
    name: `bench campaign ${i}`,
    bid: cpc ? { model: "cpc", amount: String(20 + (i % 200)) } : { model: "cpm", amount: String(1000 + ((i * 7919) % 20_000)) },
    budget: "1000000000",
    targeting: { ...(keywords ? { keywords } : {}), ...(!ron && i % 4 === 0 ? { tags: [pick(TAGS)] } : {}) },
    creative: { title: `Ad ${i}`, text: "Bench creative", url: `https://example.com/${i}` },
  };
}

function auctionBody(pub: Author): string {
  return JSON.stringify({
    placement: `slot-${Math.floor(Math.random() * 10)}`,
    publisher: pub.did,
    context: { keywords: [pick(VOCAB), pick(VOCAB)], tags: [pick(TAGS)] },
    viewer: `viewer-${Math.floor(Math.random() * 100_000)}`,
  });
}

async function ac(url: string, durationS: number, request: Record<string, unknown>) {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: durationS, pipelining: 1, timeout: 30, requests: [request] });
  const statusCounts: Record<string, number> = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCounts[code] = (v as { count: number }).count;
  return { durationS: r.duration, requests: r.requests.total, perSec: r.requests.total / r.duration, p50Ms: r.latency.p50, p99Ms: r.latency.p99, statusCounts, errors: r.errors, timeouts: r.timeouts };
}

/** Waits until /v1/status counts `n` more final events than `base0` (cheap: one GET per second). */
async function waitFinalCount(base: string, base0: number, n: number, capS: number): Promise<number> {
  const deadline = Date.now() + capS * 1000;
  let done = 0;
  while (Date.now() < deadline) {
    const st = (await fetch(`${base}/v1/status`).then((x) => x.json())) as { events: Record<string, number> };
    done = (st.events.applied ?? 0) + (st.events.failed ?? 0) + (st.events.rejected ?? 0) - base0;
    if (done >= n) break;
    await sleep(1000);
  }
  return done;
}

async function finalCount(base: string): Promise<number> {
  const st = (await fetch(`${base}/v1/status`).then((x) => x.json())) as { events: Record<string, number> };
  return (st.events.applied ?? 0) + (st.events.failed ?? 0) + (st.events.rejected ?? 0);
}

async function waitApplied(base: string, ids: string[], capS: number): Promise<{ applied: number; failed: number; other: number }> {
  const deadline = Date.now() + capS * 1000;
  const final = new Map<string, string>();
  while (Date.now() < deadline) {
    const todo = ids.filter((id) => !final.has(id));
    if (todo.length === 0) break;
    await pool(todo, 32, async (id) => {
      const r = await fetch(`${base}/v1/events/${id}`).then((x) => x.json() as Promise<{ status: string }>);
      if (["applied", "failed", "rejected"].includes(r.status)) final.set(id, r.status);
    });
    if (final.size < ids.length) await sleep(1000);
  }
  const c = { applied: 0, failed: 0, other: 0 };
  for (const id of ids) {
    const s = final.get(id);
    if (s === "applied") c.applied++;
    else if (s === "failed") c.failed++;
    else c.other++;
  }
  return c;
}

async function main() {
  const startedAt = new Date();
  const tmp = mkdtempSync(path.join(os.tmpdir(), "echonet-bench-ads-"));
  setTmpDir(tmp);
  const { file: configFile, changes } = deriveEchonetConfig();
  log(`derived config: ${changes.join("; ")}`);
  const ref = await startWrangler("reference", path.join(ROOT, "bench/reference"), "wrangler.toml", path.join(tmp, "reference-state"), tmp);
  // Budget slices granted at creation stay valid for the whole run (AD_LEASE_MS, default 15 min
  // here): the auction phase then measures auctions, not the wake-up of thousands of Campaign
  // DOs whose slices lapsed while the rest of the campaigns were being created (which, with
  // 10,000 Campaign DOs in one local workerd, exhausts its SQLite memory — see
  // bench/results/ads.md).
  const srv = await startWrangler("echonet-ads", ROOT, configFile, path.join(tmp, "ads-state"), tmp, ["--var", `ADMIN_TOKEN:${ADMIN_TOKEN}`, "--var", `AD_LEASE_MS:${LEASE_MS}`]);
  try {
    await Promise.all([waitReady(ref, "/health"), waitReady(srv, "/v1/health")]);
    log(`reference on ${ref.base}, echonet on ${srv.base}`);
    const loadBefore = os.loadavg()[0]!;

    // 1. Reference.
    await ac(`${ref.base}/ref`, 2, { method: "POST", headers: { "content-type": "application/json" }, body: '{"x":1}' }); // warm-up
    const ref1 = await ac(`${ref.base}/ref`, D.reference, { method: "POST", headers: { "content-type": "application/json" }, body: '{"x":1}' });
    log(`reference: ${ref1.perSec.toFixed(0)} req/s, p99 ${ref1.p99Ms} ms`);

    // 2. Setup: advertisers, campaigns.
    const advertisers = await makeAuthors(D.advertisers);
    const publishers = await makeAuthors(D.publishers);
    const mints: string[] = [];
    for (const a of advertisers) {
      const r = await postJson(`${srv.base}/v1/admin/mint`, { to: a.did, amount: String(10n ** 18n) }, { authorization: `Bearer ${ADMIN_TOKEN}` });
      if (r.status !== 202) throw new Error(`mint → ${r.status} ${JSON.stringify(r.body)}`);
      mints.push(r.body.id);
    }
    const m = await waitApplied(srv.base, mints, 120);
    if (m.applied !== mints.length) throw new Error(`mints: ${JSON.stringify(m)}`);
    const final0 = await finalCount(srv.base);
    // Local limit (DECISIONS 142): every open SQLite-backed DO holds three file descriptors
    // (database, -wal, -shm) and this sandbox's hard limit is 20,000, so at most ~6,600
    // Campaign DOs can be open at once in one workerd. Sample the count while creating.
    let fdPeak = 0;
    let fdSampling = true;
    const fdSampler = (async () => {
      while (fdSampling) {
        const n = srv.proc.pid ? openFds(srv.proc.pid) : null;
        if (n !== null) fdPeak = Math.max(fdPeak, n);
        await sleep(1000);
      }
    })();
    const tc = Date.now();
    const campaignIds: string[] = [];
    await pool(Array.from({ length: CAMPAIGNS }, (_, i) => i), 32, async (i) => {
      const body = signEvent(advertisers[i % advertisers.length]!, "campaign.create", campaignBody(i));
      for (let attempt = 0; ; attempt++) {
        const r = await postJson(`${srv.base}/v1/events`, body);
        if (r.status === 202 || r.status === 200) {
          campaignIds.push(r.body.id);
          return;
        }
        if ((r.status === 503 || r.status === 429) && attempt < 50) {
          await sleep(500);
          continue;
        }
        throw new Error(`campaign.create → ${r.status} ${JSON.stringify(r.body)}`);
      }
    });
    const submittedMs = Date.now() - tc;
    await waitFinalCount(srv.base, final0, campaignIds.length, QUICK ? 600 : 3600);
    const created = await waitApplied(srv.base, campaignIds, 120);
    const setupMs = Date.now() - tc;
    log(`setup: ${CAMPAIGNS} campaign.create submitted in ${submittedMs} ms, final in ${setupMs} ms: ${JSON.stringify(created)}; open fds peak ${fdPeak}`);
    // Let idle Campaign DOs close (workerd evicts an actor ~10 s after its last request) before
    // the auctions wake the winners again: wait until the open descriptors stop falling.
    const idleStart = Date.now();
    let fds = srv.proc.pid ? openFds(srv.proc.pid) : null;
    for (let prev = Infinity; fds !== null && fds < prev - 50 && Date.now() - idleStart < IDLE_CAP_S * 1000; ) {
      prev = fds;
      await sleep(10_000);
      fds = openFds(srv.proc.pid!);
    }
    fdSampling = false;
    await fdSampler;
    const idleWaitS = Math.round((Date.now() - idleStart) / 1000);
    log(`idle: open fds ${fds ?? "n/a"} after ${idleWaitS} s`);

    // 3. Auctions.
    const auctionReq = {
      method: "POST",
      path: "/v1/ads/auction",
      setupRequest: (req: Record<string, unknown>) => {
        const pub = pick(publishers);
        const body = auctionBody(pub);
        return { ...req, body, headers: { "content-type": "application/json", authorization: authHeader(pub, "POST", "/v1/ads/auction", body) } };
      },
    };
    // Warm-up: the slices granted at creation have expired by now (AD_LEASE_MS); the first
    // auctions find them dry and the shards refill them, at most 16 at a time each.
    const warm = await ac(`${srv.base}/v1/ads/auction`, QUICK ? 6 : 15, auctionReq);
    log(`auction warm-up: ${JSON.stringify(warm.statusCounts)}, errors ${warm.errors}, timeouts ${warm.timeouts}`);
    const auctions = await profiled("auctions", srv, () => ac(`${srv.base}/v1/ads/auction`, D.auction, auctionReq), log);
    const auctionOk = (auctions.statusCounts["200"] ?? 0) + (auctions.statusCounts["204"] ?? 0);
    const auctionPerSec = auctionOk / auctions.durationS;
    log(`auctions: ${auctionPerSec.toFixed(0)}/s (200+204), p50 ${auctions.p50Ms} ms, p99 ${auctions.p99Ms} ms, statuses ${JSON.stringify(auctions.statusCounts)}, errors ${auctions.errors}, timeouts ${auctions.timeouts}`);

    // 4. Reference again.
    const ref2 = await ac(`${ref.base}/ref`, D.reference, { method: "POST", headers: { "content-type": "application/json" }, body: '{"x":1}' });
    const refMean = (ref1.perSec + ref2.perSec) / 2;
    const ratio = auctionPerSec / refMean;
    log(`reference again: ${ref2.perSec.toFixed(0)} req/s; auctions / reference = ${ratio.toFixed(3)} (target ≥ ${TARGET_RATIO})`);

    // 5. Interactions: real tokens, one impression each.
    const tokens: { token: string; campaignId: string }[] = [];
    await pool(Array.from({ length: D.tokens * 2 }, (_, i) => i), 32, async () => {
      if (tokens.length >= D.tokens) return;
      const pub = pick(publishers);
      const body = auctionBody(pub);
      const r = await fetch(`${srv.base}/v1/ads/auction`, { method: "POST", headers: { "content-type": "application/json", authorization: authHeader(pub, "POST", "/v1/ads/auction", body) }, body });
      if (r.status === 200) {
        const b = (await r.json()) as { token: string; campaignId: string };
        if (tokens.length < D.tokens) tokens.push(b);
      } else await r.arrayBuffer();
    });
    const before = new Map<string, number>();
    const involved = [...new Set(tokens.map((t) => t.campaignId))];
    const readImpressions = async () => {
      let sum = 0;
      await pool(involved, 32, async (id) => {
        const c = (await fetch(`${srv.base}/v1/campaigns/${id}`).then((x) => x.json())) as { impressions: number };
        if (!before.has(id)) before.set(id, c.impressions);
        sum += c.impressions - before.get(id)!;
      });
      return sum;
    };
    await readImpressions();
    let next = 0;
    const ti = Date.now();
    const events = await autocannon({
      url: `${srv.base}/v1/ads/events`,
      connections: Math.min(CONNECTIONS, 32),
      amount: tokens.length,
      pipelining: 1,
      timeout: 30,
      requests: [{ method: "POST", path: "/v1/ads/events", headers: { "content-type": "application/json" }, setupRequest: (req: Record<string, unknown>) => ({ ...req, body: JSON.stringify({ token: tokens[next++ % tokens.length]!.token, type: "impression" }) }) }],
    });
    const acceptedMs = Date.now() - ti;
    const accepted = (events.statusCodeStats as Record<string, { count: number }>)["202"]?.count ?? 0;
    let charged = 0;
    const deadline = Date.now() + (QUICK ? 60_000 : 180_000);
    while (Date.now() < deadline) {
      charged = await readImpressions();
      if (charged >= accepted) break;
      await sleep(250);
    }
    const chargedMs = Date.now() - ti;
    const chargedPerSec = charged / (chargedMs / 1000);
    log(`interactions: ${accepted} accepted (202) in ${acceptedMs} ms (${((accepted / acceptedMs) * 1000).toFixed(0)}/s), ${charged} charged after ${chargedMs} ms → ${chargedPerSec.toFixed(0)} charged/s`);

    const result = {
      startedAt: startedAt.toISOString(),
      quick: QUICK,
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "?", memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      loadAverage1m: { before: loadBefore, after: os.loadavg()[0]! },
      campaigns: { requested: CAMPAIGNS, ...created, submitMs: submittedMs, setupMs, leaseMs: LEASE_MS },
      openFds: { setupPeak: fdPeak, afterIdle: fds, idleWaitS: idleWaitS },
      reference: { run1PerSec: ref1.perSec, run2PerSec: ref2.perSec, meanPerSec: refMean },
      auctions: { perSec: auctionPerSec, ratio, target: TARGET_RATIO, p50Ms: auctions.p50Ms, p99Ms: auctions.p99Ms, statusCounts: auctions.statusCounts, connections: CONNECTIONS, durationS: auctions.durationS },
      interactions: { tokens: tokens.length, campaigns: involved.length, accepted, acceptedPerSec: (accepted / acceptedMs) * 1000, charged, chargedPerSec, chargedMs },
    };
    mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
    const out = path.join(ROOT, "bench/results", QUICK ? "quick-ads.json.tmp" : "ads.json");
    writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
    log(`wrote ${path.relative(ROOT, out)}`);
    if (!QUICK) writeFileSync(path.join(ROOT, "bench/results/ads.md"), render(result));
  } finally {
    await stopAll();
    if (!KEEP) rmSync(tmp, { recursive: true, force: true });
  }
}

function render(r: any): string {
  const f = (x: number) => x.toFixed(0);
  return `## Ad marketplace (issue 7)

Run ${r.startedAt} on ${r.machine.cpus} × ${r.machine.model}, ${r.machine.memGiB} GiB, Node ${r.machine.node};
load average (1 min) ${r.loadAverage1m.before.toFixed(2)} before, ${r.loadAverage1m.after.toFixed(2)} after.
Method: \`npm run bench:ads\` (scripts/bench-ads.ts) starts the reference worker and EchoNet
(\`wrangler dev\`, offline, rate limits raised) side by side; autocannon with ${r.auctions.connections}
connections. Every auction request is signed by its publisher (request auth) just before it is sent.

| figure | value |
| --- | --- |
| active campaigns | ${r.campaigns.applied} (created through signed \`campaign.create\` events in ${(r.campaigns.setupMs / 1000).toFixed(0)} s) |
| open file descriptors (3 per open SQLite DO; local hard limit 20,000) | peak ${r.openFds?.setupPeak ?? "n/a"} while creating; ${r.openFds?.afterIdle ?? "n/a"} after ${r.openFds?.idleWaitS ?? "?"} s idle, before the auctions |
| reference (mean of two runs) | ${f(r.reference.meanPerSec)} req/s |
| auctions (200 + 204) | ${f(r.auctions.perSec)} /s → **${r.auctions.ratio.toFixed(2)} × reference** (target ≥ ${r.auctions.target}) |
| auction latency | p50 ${r.auctions.p50Ms} ms, p99 ${r.auctions.p99Ms} ms |
| interaction events accepted | ${f(r.interactions.acceptedPerSec)} /s (${r.interactions.accepted} tokens over ${r.interactions.campaigns} campaigns) |
| interaction events charged | ${f(r.interactions.chargedPerSec)} /s (from the first POST until every one is charged) |

Statuses during the auction window: \`${JSON.stringify(r.auctions.statusCounts)}\`. Locally every
DO shares one workerd process, so the ${"`AdMarket`"} shards add no parallelism here; on Cloudflare
they run apart.
`;
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
