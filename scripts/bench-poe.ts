// `npm run bench:poe` (issue 8): closing a Proof-of-Engagement epoch of 1,000,000 engagements
// over 10,000 content items, against a single-process reduce of the same data in plain
// TypeScript in the same run (and, for context, the reference worker's req/s on this machine).
//
// Method: EchoNet runs under `wrangler dev` (offline, derived config with raised rate limits,
// EPOCH_MS = 1 day so the bench epoch cannot end mid-run, POE_BULK_LOAD=1). 100 engagers get a
// pre-trusted reputation (1–10) through POST /v1/admin/reputation; then the engagements are
// bulk-loaded through POST /v1/admin/poe/bulk straight into the epoch's map shards (PoeShard
// DOs, the same ingest as the poe-engagement consumer; signed events would take hours here),
// and the epoch is closed with POST /v1/admin/poe/close. Measured: wall time from the close
// request until the epoch reads "distributed" (sys.poe.close through witnesses and a block,
// counts checked, shards reduce in parallel, allocation, payout batches on poe-batches, each a
// sys.poe.payout through witnesses and blocks), and until it is reduced (totalScore known).
// The plain reduce does dedup, weights, per-creator/curator sums, allocation and batching on
// the same rows in this process; its totals must equal EchoNet's.
//
//   BENCH_QUICK=1 npm run bench:poe    50,000 engagements over 1,000 items (a smoke run)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, KEEP, setTmpDir, stopAll, startWrangler, waitReady, deriveEchonetConfig, makeAuthors, postJson, pool, sleep, cannon } from "./bench-lib";
import { engagementWeight, reputationGain, type EngagementKind } from "../src/poe/model";
import { allocateEpoch, payoutBatches, type PayoutEntry } from "../src/poe/allocate";

const QUICK = process.env.BENCH_QUICK === "1";
const N = QUICK ? 50_000 : 1_000_000;
const CONTENT = QUICK ? 1_000 : 10_000;
const ENGAGERS = 100;
const CREATORS = CONTENT / 10;
const CHUNK = 10_000;
const EMISSION = 1_000_000_000n;
const CREATOR_SHARE_BPS = 7500;
const BATCH_SIZE = 200;
const ADMIN_TOKEN = "bench-admin-token";
const KINDS: EngagementKind[] = ["view", "like", "comment", "share"];

const log = (m: string) => console.log(`[bench:poe ${new Date().toISOString().slice(11, 19)}] ${m}`);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** xorshift32: the same rows in EchoNet and in the plain reduce. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

interface Row {
  id: string;
  kind: EngagementKind;
  engager: string;
  target: string;
  creator: string;
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "echonet-bench-poe-"));
  setTmpDir(tmp);
  try {
    // ---- data: deterministic rows (about 1 % repeats and 1 % self-engagement, which count zero)
    const engagers = await makeAuthors(ENGAGERS);
    const creators = await makeAuthors(CREATORS);
    const rand = rng(20261127);
    const hex = () => Array.from({ length: 8 }, () => rand().toString(16).padStart(8, "0")).join("");
    const contents = Array.from({ length: CONTENT }, (_, i) => ({ id: hex(), creator: creators[i % CREATORS]!.did }));
    const reputation = new Map(engagers.map((e, i) => [e.did, 1 + (i % 10)]));
    const rows: Row[] = new Array(N);
    for (let i = 0; i < N; i++) {
      const r = rand();
      if (i > 0 && r % 100 === 0) {
        rows[i] = { ...rows[i - 1]!, id: `r${i}` }; // a repeat of (engager, target, kind)
        continue;
      }
      const engager = engagers[i % ENGAGERS]!.did;
      const c = contents[(Math.floor(i / ENGAGERS) + (i % ENGAGERS) * 7) % CONTENT]!;
      const creator = r % 100 === 1 ? engager : c.creator; // self-engagement stand-in
      rows[i] = { id: `e${i}`, kind: KINDS[r % 4]!, engager, target: c.id, creator };
    }
    log(`${N} engagements, ${CONTENT} content items, ${ENGAGERS} engagers, ${CREATORS} creators generated`);

    // ---- the plain single-process reduce (best of 3)
    const plain = () => {
      const seen = new Set<string>();
      const creatorScores = new Map<string, bigint>();
      const curatorWeights = new Map<string, number>();
      const received = new Map<string, number>();
      let totalScore = 0;
      for (const r of rows) {
        const key = `${r.engager}|${r.target}|${r.kind}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const w = engagementWeight(r.kind, r.engager, r.creator, reputation.get(r.engager) ?? 0);
        if (w === 0) continue;
        totalScore += w;
        received.set(r.creator, (received.get(r.creator) ?? 0) + w);
        curatorWeights.set(r.engager, (curatorWeights.get(r.engager) ?? 0) + w);
      }
      for (const [d, v] of received) creatorScores.set(d, BigInt(v));
      const alloc = allocateEpoch(EMISSION, CREATOR_SHARE_BPS, creatorScores, new Map([...curatorWeights].map(([d, v]) => [d, BigInt(v)])));
      const entries = new Map<string, PayoutEntry>();
      const entry = (did: string) => entries.get(did) ?? entries.set(did, { did, amount: 0n, gain: 0 }).get(did)!;
      for (const [did] of reputation) entry(did);
      for (const [did, v] of received) if (reputationGain(v) > 0) entry(did).gain = reputationGain(v);
      for (const [d, a] of alloc.creator) entry(d).amount += a;
      for (const [d, a] of alloc.curator) entry(d).amount += a;
      const batches = payoutBatches([...entries.values()], 0n, BATCH_SIZE);
      return { totalScore, recipients: [...entries.values()].filter((e) => e.amount > 0n).length, batches: batches.length };
    };
    const plainRuns: number[] = [];
    let plainResult = plain();
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      plainResult = plain();
      plainRuns.push(performance.now() - t);
    }
    const plainMs = Math.min(...plainRuns);
    log(`plain reduce: ${round(plainMs)} ms (best of ${plainRuns.map((x) => round(x)).join(", ")}); totalScore ${plainResult.totalScore}, recipients ${plainResult.recipients}`);

    // ---- EchoNet and the reference worker
    const derived = deriveEchonetConfig();
    const ref = await startWrangler("reference", path.join(ROOT, "bench/reference"), "wrangler.toml", path.join(tmp, "reference-state"), tmp);
    const echo = await startWrangler("echonet-poe", ROOT, derived.file, path.join(tmp, "echonet-state"), tmp, [
      "--var", `ADMIN_TOKEN:${ADMIN_TOKEN}`,
      "--var", "POE_BULK_LOAD:1",
      "--var", "EPOCH_MS:86400000",
    ]);
    await Promise.all([waitReady(ref, "/health"), waitReady(echo, "/v1/health")]);
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const refBody = JSON.stringify({ hello: "echonet", n: 1 });
    const refRun = await cannon(`${ref.base}/ref`, QUICK ? 3 : 10, 32, (req) => ({ ...req, method: "POST", headers: { "content-type": "application/json" }, body: refBody }));
    const refPerSec = round((refRun.statusCounts["202"] ?? 0) / refRun.durationS);
    log(`reference: ${refPerSec} req/s (p50 ${refRun.p50Ms} ms)`);

    // Pre-trusted engagers.
    const seeded: string[] = [];
    await pool(engagers, 8, async (e) => {
      const r = await postJson(`${echo.base}/v1/admin/reputation`, { did: e.did, score: reputation.get(e.did) }, admin);
      if (r.status !== 202) throw new Error(`POST /v1/admin/reputation → ${r.status} ${JSON.stringify(r.body)}`);
      seeded.push(r.body.id);
    });
    const t0 = Date.now();
    for (const id of seeded) {
      for (;;) {
        const r = await fetch(`${echo.base}/v1/events/${id}`).then((x) => x.json() as Promise<{ status: string }>);
        if (r.status === "applied") break;
        if (r.status === "rejected" || r.status === "failed") throw new Error(`reputation event ${id}: ${r.status}`);
        if (Date.now() - t0 > 120_000) throw new Error("reputation seeding not applied in 120 s");
        await sleep(200);
      }
    }
    log(`${ENGAGERS} reputations seeded in ${Date.now() - t0} ms`);

    // Bulk load.
    const chunks: Row[][] = [];
    for (let i = 0; i < N; i += CHUNK) chunks.push(rows.slice(i, i + CHUNK));
    const tl = Date.now();
    let epoch = -1;
    await pool(chunks, 4, async (chunk, k) => {
      // Idempotent by source (counts) and by id (rows): a failed request is simply sent again.
      let r: { status: number; body: any } | undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          r = await postJson(`${echo.base}/v1/admin/poe/bulk`, { source: `bench-${k}`, engagements: chunk }, admin);
          break;
        } catch (err) {
          if (attempt >= 3) throw err;
          log(`bulk load ${k}: ${String(err)}; retrying`);
          await sleep(1000);
        }
      }
      if (r.status !== 200) throw new Error(`bulk load ${k} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      if (epoch === -1) epoch = r.body.epoch;
      else if (r.body.epoch !== epoch) throw new Error(`bulk load spans epochs ${epoch} and ${r.body.epoch}`);
    });
    const loadMs = Date.now() - tl;
    log(`bulk load: ${N} engagements in ${loadMs} ms (${round(N / (loadMs / 1000))}/s) into epoch ${epoch}`);

    // Close and wait.
    const tc = Date.now();
    const close = await postJson(`${echo.base}/v1/admin/poe/close`, { epoch }, admin);
    if (close.status !== 202) throw new Error(`close → ${close.status} ${JSON.stringify(close.body)}`);
    let reducedMs: number | null = null;
    let view: any;
    for (;;) {
      view = await fetch(`${echo.base}/v1/poe/epochs/${epoch}`).then((x) => x.json());
      if (reducedMs === null && view.totalScore > 0) reducedMs = Date.now() - tc;
      if (view.status === "distributed") break;
      if (Date.now() - tc > 600_000) throw new Error(`epoch not distributed in 600 s: ${JSON.stringify(view)}`);
      await sleep(100);
    }
    const closeMs = Date.now() - tc;
    reducedMs ??= closeMs;
    log(`close: reduced after ${reducedMs} ms, distributed after ${closeMs} ms; ${JSON.stringify(view)}`);
    const agree = view.totalScore === plainResult.totalScore && view.recipients === plainResult.recipients;
    if (!agree) log(`WARNING: EchoNet totals differ from the plain reduce (${view.totalScore}/${view.recipients} vs ${plainResult.totalScore}/${plainResult.recipients})`);
    const supply = await fetch(`${echo.base}/v1/ledger/supply`).then((x) => x.json() as Promise<Record<string, string>>);
    const identity = BigInt(supply.minted!) - BigInt(supply.burned!) === BigInt(supply.circulating!) + BigInt(supply.escrowed!) + BigInt(supply.inFlight!);

    const result = {
      quick: QUICK,
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "?", memGB: round(os.totalmem() / 2 ** 30, 1), node: process.version },
      engagements: N,
      contentItems: CONTENT,
      engagers: ENGAGERS,
      creators: CREATORS,
      poeShards: 8,
      bulkLoad: { ms: loadMs, perSec: round(N / (loadMs / 1000)) },
      close: { reducedMs, distributedMs: closeMs, totalScore: view.totalScore, recipients: view.recipients, batches: plainResult.batches },
      plainReduceMs: round(plainMs),
      ratio: { distributedToPlain: round(closeMs / plainMs), reducedToPlain: round(reducedMs / plainMs) },
      totalsAgree: agree,
      supplyIdentityHolds: identity,
      reference: { reqPerSec: refPerSec, p50Ms: refRun.p50Ms },
      at: new Date().toISOString(),
    };
    mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
    writeFileSync(path.join(ROOT, "bench/results/poe.json"), JSON.stringify(result, null, 2) + "\n");
    writeFileSync(path.join(ROOT, "bench/results/poe.md"), render(result));
    log(`wrote bench/results/poe.json and bench/results/poe.md`);
  } finally {
    await stopAll();
    if (!KEEP) rmSync(tmp, { recursive: true, force: true });
  }
}

function render(r: any): string {
  return `## Proof of Engagement: closing an epoch${r.quick ? " (BENCH_QUICK smoke run)" : ""}

${r.engagements.toLocaleString("en")} engagements over ${r.contentItems.toLocaleString("en")} content items
(${r.engagers} pre-trusted engagers, ${r.creators.toLocaleString("en")} creators, ${r.poeShards} map shards), measured by
\`npm run bench:poe\` (scripts/bench-poe.ts) on ${r.machine.cpus} CPUs (${r.machine.model}), ${r.machine.memGB} GB, Node ${r.machine.node}, ${r.at}.

| figure | value |
| --- | --- |
| close → reduced (sys.poe.close applied, counts checked, 8 shards reduced, allocation) | ${r.close.reducedMs} ms |
| close → distributed (plus ${r.close.batches} payout batches applied as sys.poe.payout events) | ${r.close.distributedMs} ms |
| single-process reduce of the same rows in plain TypeScript (best of 3) | ${r.plainReduceMs} ms |
| ratio distributed / plain | ${r.ratio.distributedToPlain} |
| ratio reduced / plain | ${r.ratio.reducedToPlain} |
| bulk load into the map shards (not part of the close) | ${r.bulkLoad.ms} ms (${r.bulkLoad.perSec}/s) |
| totals equal to the plain reduce (totalScore ${r.close.totalScore}, recipients ${r.close.recipients}) | ${r.totalsAgree} |
| supply identity after payout | ${r.supplyIdentityHolds} |
| reference worker (one route, one DO, one SQLite insert), same run | ${r.reference.reqPerSec} req/s |

Method: engagements enter through the admin-only bulk-load path (\`POST /v1/admin/poe/bulk\`, enabled only with
\`POE_BULK_LOAD=1\` or \`ECHONET_FAULTS=1\`), which ingests into the same PoeShard DOs as the poe-engagement
consumer and records the expected per-shard counts like applied blocks do; signed events for 1M
engagements would take hours on this machine. The close itself is the production path: the
admin close issues sys.poe.close, which goes through the witness committee into a block; the
coordinator waits for every shard's count, reduces the shards in parallel (each reads its
engagers' reputation as of the close height), allocates with largest remainder and sends
payout batches on poe-batches, each issued and applied as a sys.poe.payout event. Locally every
DO shares one workerd process (two cores shared with other work), so the map shards do not run
in parallel here as they would on Cloudflare; the close-to-distributed time also includes the
event pipeline's latency (witness attestation, block interval) for one close and the payout events.
`;
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
