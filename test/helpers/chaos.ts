// Chaos machinery (issue 9): fault actions fired while traffic runs, and the invariant checks
// run afterwards. Client-agnostic like ./traffic.ts. Both lists are registries: the DHT, ad
// marketplace and PoE append their faults (e.g. reset AdMarket shards) and their checks
// (e.g. "no campaign overspent") here.
import { applyModel, newModel, type Prepared } from "./model";
import { withRetry, hex, type Call, type CampaignRead, type OpRecord, type TrafficState } from "./traffic";

export const FINAL = ["applied", "failed", "rejected"];

export interface ChaosContext extends TrafficState {
  admin: Record<string, string>;
  /** Chunks with a damaged replica (at most one per chunk, so a healthy source always exists). */
  damaged: Set<string>;
  records: OpRecord[];
  mints: Prepared[];
  startedAt?: number;
}

export interface FaultAction {
  name: string;
  weight: number;
  /** Fires the fault; returns a short description, or null when it did not apply. */
  fire(c: ChaosContext): Promise<string | null>;
}

async function setFaults(c: ChaosContext, body: Record<string, unknown>): Promise<number> {
  const { r } = await withRetry(() => c.call("POST", "/v1/admin/faults", { body, headers: c.admin }));
  return r.status;
}

/** Classes whose every instance can be named (resettable as a class). */
export const RESET_CLASSES = ["EventShard", "WitnessNode", "Sequencer", "AccountShard", "SystemIssuer", "ContentShard", "IndexShard", "StorageNode", "ChunkIndex", "StorageAuditor", "AdMarket", "PoeCoordinator"];
const NAMED: Record<string, () => string[]> = {
  EventShard: () => Array.from({ length: 16 }, (_, i) => `events-${i}`),
  AccountShard: () => Array.from({ length: 16 }, (_, i) => `accounts-${i}`),
  WitnessNode: () => Array.from({ length: 7 }, (_, i) => `witness-${i}`),
  Sequencer: () => ["sequencer"],
  IndexShard: () => Array.from({ length: 8 }, (_, i) => `index-${i}`),
  ContentShard: () => Array.from({ length: 16 }, (_, i) => `content-${i}`),
  StorageNode: () => Array.from({ length: 5 }, (_, i) => `node-${i}`),
  AdMarket: () => Array.from({ length: 4 }, (_, i) => `ads-${i}`),
  PoeCoordinator: () => ["poe"],
};

const pick = <T>(c: ChaosContext, xs: readonly T[]): T => xs[Math.floor(c.rand() * xs.length)]!;

export const FAULT_ACTIONS: FaultAction[] = [
  {
    name: "queue faults (fail + duplicate shares)",
    weight: 2,
    async fire(c) {
      const fail = Math.round(c.rand() * 30) / 100;
      const dup = Math.round(c.rand() * 30) / 100;
      // Every primary queue: witness-inbox, index-updates, ad-interactions, poe-engagement,
      // poe-batches; poeRedeliverRate re-sends processed PoE messages on top.
      const status = await setFaults(c, { queueFailRate: fail, queueDuplicateRate: dup, witnessInboxDuplicateRate: dup, poeRedeliverRate: dup });
      return status === 200 ? `fail ${fail}, duplicate ${dup}` : null;
    },
  },
  {
    name: "reset one Durable Object",
    weight: 3,
    async fire(c) {
      const cls = pick(c, Object.keys(NAMED));
      const name = pick(c, NAMED[cls]!());
      return (await setFaults(c, { resetDurableObject: { class: cls, name } })) === 200 ? `${cls}/${name}` : null;
    },
  },
  {
    name: "reset every Durable Object of a class",
    weight: 2,
    async fire(c) {
      const cls = pick(c, RESET_CLASSES);
      return (await setFaults(c, { resetDurableObject: { class: cls } })) === 200 ? cls : null;
    },
  },
  {
    name: "reset a contract instance",
    weight: 1,
    async fire(c) {
      if (c.escrows.length === 0) return null;
      const name = pick(c, c.escrows).id;
      return (await setFaults(c, { resetDurableObject: { class: "ContractInstance", name } })) === 200 ? name.slice(0, 12) : null;
    },
  },
  {
    name: "reset a campaign",
    weight: 1,
    async fire(c) {
      if (!c.ads || c.ads.campaigns.length === 0) return null;
      const name = pick(c, c.ads.campaigns).id;
      return (await setFaults(c, { resetDurableObject: { class: "Campaign", name } })) === 200 ? name.slice(0, 12) : null;
    },
  },
  {
    name: "drop a replica",
    weight: 1,
    fire: (c) => replicaFault(c, "dropReplica"),
  },
  {
    name: "corrupt a replica",
    weight: 1,
    fire: (c) => replicaFault(c, "corruptReplica"),
  },
];

async function replicaFault(c: ChaosContext, action: "dropReplica" | "corruptReplica"): Promise<string | null> {
  const candidates = c.chunks.filter((x) => !c.damaged.has(x.cid));
  if (candidates.length === 0) return null;
  const { cid } = pick(c, candidates);
  const meta = await c.call("GET", `/v1/chunks/${cid}/meta`);
  if (meta.status !== 200) return null;
  const ok = (meta.body.replicas as { node: string; status: string }[]).filter((r) => r.status === "ok");
  if (ok.length < 3) return null;
  const node = pick(c, ok).node;
  c.damaged.add(cid);
  return (await setFaults(c, { [action]: { cid, node } })) === 200 ? `${cid.slice(0, 14)}…@${node}` : null;
}

export async function fireOne(c: ChaosContext, actions: readonly FaultAction[] = FAULT_ACTIONS): Promise<{ name: string; what: string | null }> {
  const total = actions.reduce((n, a) => n + a.weight, 0);
  let x = c.rand() * total;
  let chosen = actions[actions.length - 1]!;
  for (const a of actions) {
    x -= a.weight;
    if (x < 0) {
      chosen = a;
      break;
    }
  }
  return { name: chosen.name, what: await chosen.fire(c) };
}

// ---------------------------------------------------------------- checks

export interface CheckResult {
  check: string;
  result: string;
}

/** Polls until `ok` or the deadline (no fixed sleeps: each round is a real read). */
export async function pollUntil<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await fn();
  while (!ok(v)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
    v = await fn();
  }
  return v;
}

export interface FinalStatus {
  status: string;
  reason?: string;
  block?: number;
}

/** Every event id the client knows: polled until each is final. Unknown ids (never recorded) are reported as such. */
export async function finalStatuses(call: Call, ids: string[], timeoutMs: number): Promise<Map<string, FinalStatus | null>> {
  const out = new Map<string, FinalStatus | null>();
  let open = [...new Set(ids)];
  const deadline = Date.now() + timeoutMs;
  while (open.length > 0) {
    const next: string[] = [];
    for (let i = 0; i < open.length; i += 50) {
      const slice = open.slice(i, i + 50);
      const rs = await Promise.all(slice.map((id) => call("GET", `/v1/events/${id}`)));
      rs.forEach((r, k) => {
        const id = slice[k]!;
        if (r.status === 404) out.set(id, null);
        else if (r.status === 200 && FINAL.includes(r.body.status)) out.set(id, { status: r.body.status, reason: r.body.reason, block: r.body.receipt?.block });
        else next.push(id);
      });
    }
    open = next;
    if (open.length === 0) break;
    if (Date.now() > deadline) throw new Error(`${open.length} events never reached a final status, e.g. ${open.slice(0, 3).join(", ")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return out;
}

export interface ChainWalk {
  latest: number;
  blockOf: Map<string, number>;
  order: string[];
  duplicates: string[];
  supplyViolations: number[];
}

/** Every block from genesis: each event in at most one block; supply conserved at every height. */
export async function walkChain(call: Call): Promise<ChainWalk> {
  const latest = (await call("GET", "/v1/ledger/supply")).body.height as number;
  const blockOf = new Map<string, number>();
  const order: string[] = [];
  const duplicates: string[] = [];
  const supplyViolations: number[] = [];
  for (let h = 0; h <= latest; h += 20) {
    const hs = Array.from({ length: Math.min(20, latest - h + 1) }, (_, i) => h + i);
    const [blocks, supplies] = await Promise.all([
      Promise.all(hs.map((x) => call("GET", `/v1/blocks/${x}`))),
      Promise.all(hs.map((x) => call("GET", `/v1/ledger/supply?at=${x}`))),
    ]);
    hs.forEach((x, i) => {
      for (const id of blocks[i]!.body.events as string[]) {
        if (blockOf.has(id)) duplicates.push(id);
        blockOf.set(id, x);
        order.push(id);
      }
      const s = supplies[i]!.body;
      if (supplies[i]!.status !== 200 || BigInt(s.minted) - BigInt(s.burned) !== BigInt(s.circulating) + BigInt(s.escrowed) + BigInt(s.inFlight)) supplyViolations.push(x);
    });
  }
  return { latest, blockOf, order, duplicates, supplyViolations };
}

export interface ModelCheck {
  replayed: number;
  outcomeMismatches: string[];
  balanceMismatches: string[];
}

/** Replays this run's ledger events in chain order through the sequential model; compares outcomes and balances. */
export async function checkLedgerModel(call: Call, prepared: Prepared[], chain: ChainWalk, statuses: Map<string, FinalStatus | null>, dids: string[]): Promise<ModelCheck> {
  const byId = new Map(prepared.map((p) => [p.id!, p]));
  const model = newModel();
  let replayed = 0;
  for (const id of chain.order) {
    const p = byId.get(id);
    if (!p) continue;
    applyModel(model, p, id);
    replayed++;
  }
  const outcomeMismatches: string[] = [];
  for (const [id, expected] of model.outcomes) {
    const got = statuses.get(id);
    if (!got || got.status !== expected.status || (got.reason ?? undefined) !== expected.reason) {
      outcomeMismatches.push(`${byId.get(id)!.kind} ${id.slice(0, 12)}: model ${expected.status}/${expected.reason ?? ""}, ledger ${got?.status}/${got?.reason ?? ""}`);
    }
  }
  // Events of ours outside the chain must have ended rejected (never applied, never lost).
  for (const p of prepared) {
    if (chain.blockOf.has(p.id!)) continue;
    const got = statuses.get(p.id!);
    if (got && got.status !== "rejected") outcomeMismatches.push(`${p.kind} ${p.id!.slice(0, 12)}: ${got.status} but in no block`);
  }
  const balanceMismatches: string[] = [];
  for (const did of dids) {
    const r = await call("GET", `/v1/accounts/${did}`);
    const want = { balance: String(model.balances.get(did) ?? 0n), escrowed: String(model.escrowed.get(did) ?? 0n) };
    if (r.body.balance !== want.balance || r.body.escrowed !== want.escrowed) {
      balanceMismatches.push(`${did.slice(-8)}: ledger ${r.body.balance}/${r.body.escrowed}, model ${want.balance}/${want.escrowed}`);
    }
  }
  return { replayed, outcomeMismatches, balanceMismatches };
}

/** stats.views of every post equals the number of applied view events targeting it. */
export async function checkViews(call: Call, records: OpRecord[], statuses: Map<string, FinalStatus | null>): Promise<{ posts: number; mismatches: string[] }> {
  const expected = new Map<string, number>();
  for (const r of records) {
    if (!r.view || !r.id) continue;
    const applied = statuses.get(r.id)?.status === "applied" ? 1 : 0;
    expected.set(r.view.target, (expected.get(r.view.target) ?? 0) + applied);
  }
  const mismatches: string[] = [];
  for (const [target, n] of expected) {
    const r = await call("GET", `/v1/content/${target}`);
    const got = r.status === 200 ? r.body.stats.views : 0;
    if (got !== n) mismatches.push(`${target.slice(0, 12)}: views ${got}, applied view events ${n}`);
  }
  return { posts: expected.size, mismatches };
}

/** After audit rounds: every chunk has `replication` healthy replicas and serves bytes matching its hash. */
export async function checkChunks(c: ChaosContext, replication: number): Promise<{ chunks: number; rounds: number; repaired: number; failed: number; unhealthy: string[] }> {
  const chunks = c.records.filter((r) => r.chunk).map((r) => r.chunk!);
  const cids = [...new Set(chunks.map((x) => x.cid))];
  let rounds = 0;
  let repaired = 0;
  let failed = 0;
  // The background auditor (alarm) may have found and repaired damage during the run: its
  // rounds since the start count too (read before the explicit rounds push them out of /audits).
  const background = ((await c.call("GET", "/v1/storage/audits")).body?.rounds ?? []) as { startedAt: string; failed: number; repaired: number }[];
  for (const r of background) {
    if (Date.parse(r.startedAt) < (c.startedAt ?? 0)) continue;
    failed += r.failed;
    repaired += r.repaired;
  }
  const healthy = async () => {
    const metas = await Promise.all(cids.map((cid) => c.call("GET", `/v1/chunks/${cid}/meta`)));
    return metas.filter((m) => m.status !== 200 || m.body.replicas.filter((r: { status: string }) => r.status === "ok").length < replication || m.body.replicas.length !== replication).map((m, i) => cids[i]!);
  };
  // Rounds until every replica is verified: a damaged replica is found by a challenge, then repaired.
  for (let i = 0; i < 4; i++) {
    for (let k = 0; k < cids.length; k += 60) {
      const { r } = await withRetry(() => c.call("POST", "/v1/admin/storage/audit", { body: { cids: cids.slice(k, k + 60) }, headers: c.admin }));
      rounds++;
      repaired += r.body?.repaired ?? 0;
      failed += r.body?.failed ?? 0;
    }
    if (i >= 1 && (await healthy()).length === 0) break;
  }
  const unhealthy = await healthy();
  for (const x of chunks) {
    const r = await c.call("GET", `/v1/chunks/${x.cid}`);
    const bytes = r.body instanceof Uint8Array ? r.body : null;
    if (r.status !== 200 || !bytes || hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))) !== x.sha256) unhealthy.push(`${x.cid} (GET ${r.status})`);
  }
  return { chunks: cids.length, rounds, repaired, failed, unhealthy };
}

/** Search on the run tag returns exactly the live posts of this run (polled: indexing lags). */
export async function checkSearch(call: Call, tag: string, postIds: string[], timeoutMs: number, tokens: Map<string, string> = new Map()): Promise<{ live: number; deleted: number; found: number; missing: string[]; extra: string[] }> {
  const states = await Promise.all(postIds.map((id) => call("GET", `/v1/content/${id}`)));
  const live = new Set(postIds.filter((_, i) => states[i]!.status === 200 && states[i]!.body.status === "live"));
  const deleted = postIds.filter((_, i) => states[i]!.status === 200 && states[i]!.body.status === "deleted").length;
  const found = async () => {
    const ids = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < 200; page++) {
      const r = await call("GET", `/v1/search?q=${tag}&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      if (r.status !== 200) break;
      for (const x of r.body.results) ids.add(x.id);
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    return ids;
  };
  const same = (ids: Set<string>) => ids.size === live.size && [...live].every((id) => ids.has(id));
  let ids = await found();
  const deadline = Date.now() + timeoutMs;
  while (!same(ids) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    ids = await found();
  }
  const missing = [...live].filter((id) => !ids.has(id));
  // Diagnose a miss: is the post indexed at all (found by its own token), or lost by pagination?
  const diagnosis: string[] = [];
  for (const id of missing.slice(0, 10)) {
    const token = tokens.get(id);
    const own = token ? await call("GET", `/v1/search?q=${token}`) : null;
    diagnosis.push(`${id.slice(0, 12)} token ${token}: ${own?.status} ${JSON.stringify(own?.body?.results?.map((x: { id: string }) => x.id.slice(0, 12)) ?? null)}`);
  }
  return { live: live.size, deleted, found: ids.size, missing: missing.map((id, i) => (i < diagnosis.length ? diagnosis[i]! : id)), extra: [...ids].filter((id) => !live.has(id)) };
}

/** A fixed-width table for the summary. */
export function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return "";
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((x, i) => x.padEnd(width[i]!)).join(" | ")} |`;
  return [line(cols), `|${width.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map((r) => line(cols.map((c) => String(r[c] ?? ""))))].join("\n");
}

// ---------------------------------------------------------------- ads and PoE checks

export interface AdCheck {
  campaigns: number;
  wins: number;
  charged: number;
  spent: bigint;
  reads: number;
  /** Reads or final states with spent + reserved > budget. */
  overspent: string[];
  /** A read invoked after another completed saw less spent (or fewer impressions/clicks). */
  nonMonotonic: string[];
  /** Final spent/impressions/clicks differ from the charges the client was promised (202s). */
  mismatches: string[];
  /** Σ publisher balances + pool growth ≠ Σ spent, or advertiser escrow ≠ budget − spent. */
  payout: string[];
  published: bigint;
  pooled: bigint;
}

/**
 * After the run, with faults off: every campaign ends with spent = Σ price of its charged
 * (auctionId, type) pairs — each accepted billable event charged exactly once (CPM: the
 * impression, CPC: the click after its impression) — and spent + reserved ≤ budget in every
 * read; settlement pays each charge once (publishers + PoE pool growth = Σ spent; the
 * advertisers' escrow is budget − spent). `poolGrowth` is null when an epoch closed during the
 * run (the pool was claimed), and then the payout check is only publishers ≤ spent.
 */
export async function checkAds(c: ChaosContext, statuses: Map<string, FinalStatus | null>, poolGrowth: () => Promise<bigint | null>, timeoutMs = 60_000): Promise<AdCheck> {
  const a = c.ads!;
  const out: AdCheck = { campaigns: 0, wins: a.wins.length, charged: 0, spent: 0n, reads: a.reads.length, overspent: [], nonMonotonic: [], mismatches: [], payout: [], published: 0n, pooled: 0n };
  const applied = a.campaigns.filter((x) => statuses.get(x.id)?.status === "applied");
  out.campaigns = applied.length;
  for (const r of a.reads) if (r.spent + r.reserved > r.budget) out.overspent.push(`read of ${r.id.slice(0, 12)}: spent ${r.spent} + reserved ${r.reserved} > ${r.budget}`);
  const byCampaign = new Map<string, CampaignRead[]>();
  for (const r of a.reads) byCampaign.set(r.id, [...(byCampaign.get(r.id) ?? []), r]);
  for (const [id, rs] of byCampaign) {
    for (const r of rs) {
      const before = rs.filter((p) => p.completeAt < r.invokeAt);
      const worst = before.find((p) => p.spent > r.spent || p.impressions > r.impressions || p.clicks > r.clicks);
      if (worst) out.nonMonotonic.push(`${id.slice(0, 12)}: read saw spent ${r.spent}/${r.impressions} imp after a read that saw ${worst.spent}/${worst.impressions}`);
    }
  }
  const expected = new Map<string, { spent: bigint; impressions: number; clicks: number }>();
  for (const w of a.wins) {
    const e = expected.get(w.campaignId) ?? { spent: 0n, impressions: 0, clicks: 0 };
    if (w.impression) e.impressions++;
    if (w.impression && w.click) e.clicks++;
    const billable = w.model === "cpm" ? w.impression : w.impression && w.click;
    if (billable) {
      e.spent += w.price;
      out.charged++;
    }
    expected.set(w.campaignId, e);
  }
  const known = new Set(applied.map((x) => x.id));
  for (const id of expected.keys()) if (!known.has(id)) out.mismatches.push(`auction won by ${id.slice(0, 12)}, not a campaign of this run`);
  const finals = new Map<string, { spent: bigint; reserved: bigint; budget: bigint; impressions: number; clicks: number }>();
  await Promise.all(
    applied.map(async (cp) => {
      const want = expected.get(cp.id) ?? { spent: 0n, impressions: 0, clicks: 0 };
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { r } = await withRetry(() => c.call("GET", `/v1/campaigns/${cp.id}`));
        const v = { spent: BigInt(r.body.spent), reserved: BigInt(r.body.reserved), budget: BigInt(r.body.budget), impressions: r.body.impressions as number, clicks: r.body.clicks as number };
        if (v.spent + v.reserved > v.budget) out.overspent.push(`final read of ${cp.id.slice(0, 12)}: spent ${v.spent} + reserved ${v.reserved} > ${v.budget}`);
        finals.set(cp.id, v);
        if ((v.spent === want.spent && v.impressions === want.impressions && v.clicks === want.clicks) || Date.now() > deadline) break;
        await new Promise((res) => setTimeout(res, 200));
      }
      const v = finals.get(cp.id)!;
      if (v.spent !== want.spent || v.impressions !== want.impressions || v.clicks !== want.clicks) {
        out.mismatches.push(`${cp.id.slice(0, 12)}: spent ${v.spent}, ${v.impressions} imp, ${v.clicks} clicks; charges promised ${want.spent}, ${want.impressions}, ${want.clicks}`);
      }
    }),
  );
  out.spent = [...finals.values()].reduce((n, v) => n + v.spent, 0n);

  // Settlement: the advertisers' escrow is Σ (budget − spent) once every charge is settled.
  const advertisers = a.advertisers.map((x) => x.did);
  const wantEscrow = (did: string) => applied.filter((x) => x.advertiser === did).reduce((n, x) => n + x.budget - finals.get(x.id)!.spent, 0n);
  const escrows = async () => Promise.all(advertisers.map(async (did) => BigInt((await withRetry(() => c.call("GET", `/v1/accounts/${did}`))).r.body.escrowed ?? "0")));
  let got = await escrows();
  const deadline = Date.now() + timeoutMs;
  while (got.some((e, i) => e !== wantEscrow(advertisers[i]!)) && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 250));
    got = await escrows();
  }
  got.forEach((e, i) => {
    if (e !== wantEscrow(advertisers[i]!)) out.payout.push(`advertiser …${advertisers[i]!.slice(-8)}: escrowed ${e}, budgets − spent ${wantEscrow(advertisers[i]!)}`);
  });
  for (const p of a.publishers) out.published += BigInt((await withRetry(() => c.call("GET", `/v1/accounts/${p.did}`))).r.body.balance ?? "0");
  const growth = await poolGrowth();
  if (growth === null) {
    if (out.published > out.spent) out.payout.push(`publishers got ${out.published} > spent ${out.spent}`);
  } else {
    out.pooled = growth;
    if (out.published + growth !== out.spent) out.payout.push(`publishers ${out.published} + pool growth ${growth} ≠ spent ${out.spent}`);
  }
  return out;
}

export interface PoeCheck {
  epoch: number;
  likes: number;
  pairs: number;
  totalScore: number;
  pool: bigint;
  paid: bigint;
  recipients: number;
  problems: string[];
}

/**
 * Closes the epoch the run's likes fell in and checks its payout: the weight is exactly one
 * like (5 × 10000 for a curator with reputation 10) per distinct applied (curator, post) pair —
 * repeats, duplicated and redelivered queue messages count zero — the pool is emission + ad
 * revenue, and the rewards of the run's creators and curators sum to it exactly.
 */
export async function checkPoe(c: ChaosContext, statuses: Map<string, FinalStatus | null>, firstEpoch: number, creators: string[], weightPerLike: number, timeoutMs = 60_000): Promise<PoeCheck> {
  const problems: string[] = [];
  const likes = c.records.filter((r) => r.like && r.id && statuses.get(r.id)?.status === "applied");
  const pairs = new Set(likes.map((r) => `${r.like!.engager} ${r.like!.target}`));
  const { r: closed } = await withRetry(() => c.call("POST", "/v1/admin/poe/close", { body: {}, headers: c.admin }));
  if (closed.status !== 202) return { epoch: -1, likes: likes.length, pairs: pairs.size, totalScore: 0, pool: 0n, paid: 0n, recipients: 0, problems: [`close: ${closed.status} ${JSON.stringify(closed.body)}`] };
  const n = closed.body.epoch as number;
  const epochs = Array.from({ length: n - firstEpoch + 1 }, (_, i) => firstEpoch + i);
  let totalScore = 0;
  let pool = 0n;
  let paid = 0n;
  let recipients = 0;
  const dids = [...new Set([...creators, ...(c.poe?.curators.map((x) => x.did) ?? [])])];
  for (const e of epochs) {
    const view = await pollUntil(() => c.call("GET", `/v1/poe/epochs/${e}`), (r) => r.status === 200 && r.body.status === "distributed", timeoutMs, `epoch ${e} distributed`);
    const v = view.body;
    totalScore += v.totalScore;
    pool += BigInt(v.pool);
    recipients += v.recipients;
    if (v.totalScore > 0 && BigInt(v.pool) !== BigInt(v.emission) + BigInt(v.adRevenue)) problems.push(`epoch ${e}: pool ${v.pool} ≠ emission ${v.emission} + ad revenue ${v.adRevenue}`);
    let ours = 0n;
    let ourRecipients = 0;
    for (const did of dids) {
      const r = await c.call("GET", `/v1/poe/epochs/${e}/rewards/${did}`);
      if (r.status === 200) {
        ours += BigInt(r.body.total);
        ourRecipients++;
      }
    }
    paid += ours;
    if (ours !== BigInt(v.pool)) problems.push(`epoch ${e}: rewards of the run's creators and curators ${ours} ≠ pool ${v.pool}`);
    if (ourRecipients !== v.recipients) problems.push(`epoch ${e}: ${v.recipients} recipients, ${ourRecipients} of them the run's`);
  }
  // One epoch: exact. An epoch boundary inside the run: a pair may count once per epoch, and
  // the first payout decays the curators' reputation (10 → 9), so only bounds hold.
  const want = pairs.size * weightPerLike;
  if (epochs.length === 1 ? totalScore !== want : totalScore <= 0 || totalScore > want * epochs.length) problems.push(`total score ${totalScore} over epochs ${epochs.join(",")}; distinct applied likes ${pairs.size} × ${weightPerLike}`);
  return { epoch: n, likes: likes.length, pairs: pairs.size, totalScore, pool, paid, recipients, problems };
}
