// PoeCoordinator: the reduce side of Proof of Engagement (DESIGN §8), one instance.
//
// - recordBlock (from the Sequencer's post-apply step, in height order, idempotent by
//   height): assigns the block's engagements to an epoch — the epoch of the block's
//   createdAt, or the next one not yet closed (an epoch closed early by the admin takes no
//   later engagements) — and records how many went to each map shard; records applied
//   sys.poe.close (fixing the epoch's close height), applied payout batches, and the DIDs
//   that may hold reputation (for decay).
// - alarm: (1) at each epoch end, asks the SystemIssuer for that epoch's sys.poe.close
//   (idempotent by key, so an idle network still closes); (2) for a closing epoch, waits until
//   every shard has counted what the ledger applied up to the close height, then reduces:
//   scores, allocates and sends payout batches on poe-batches; (3) resends batches not yet
//   applied after a while (issuing is idempotent per (epoch, batch)).
// The reduce reads only immutable inputs (shard data complete by count, accounts as of the
// close height), so recomputing after a crash gives the same result; its commit is one
// synchronous step guarded by `reduced = 0`.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { getConfig, type Config } from "../lib/config";
import { accountShardFor, SEQUENCER, SYSTEM_ISSUER } from "../workers/shards";
import { POE_POOL } from "../ledger/pool";
import { epochEnd, epochOf, epochPoolAccount, epochStart, reputationGain } from "../poe/model";
import { allocateEpoch, payoutBatches, type PayoutEntry } from "../poe/allocate";
import { poeShardName } from "../poe/shards";
import type { PoeBatchMessage } from "../queues/messages";
import { migrate, one } from "./sqlite";
import type { ShardReduce } from "./PoeShard";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE epochs (
     epoch INTEGER PRIMARY KEY,
     close_height INTEGER,
     close_requested INTEGER NOT NULL DEFAULT 0,
     reduced INTEGER NOT NULL DEFAULT 0,
     distributed INTEGER NOT NULL DEFAULT 0,
     emission TEXT, ad_revenue TEXT, pool TEXT, rolled_over TEXT,
     total_score INTEGER, recipients INTEGER, batches INTEGER,
     sent_at INTEGER
   );
   CREATE TABLE expect (source TEXT NOT NULL, shard INTEGER NOT NULL, epoch INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (source, shard)) WITHOUT ROWID;
   CREATE INDEX expect_epoch ON expect (epoch, shard);
   CREATE TABLE blocks (height INTEGER PRIMARY KEY, epoch INTEGER);
   CREATE TABLE reputed (did TEXT PRIMARY KEY) WITHOUT ROWID;
   CREATE TABLE rewards (epoch INTEGER NOT NULL, did TEXT NOT NULL, creator TEXT NOT NULL, curator TEXT NOT NULL, PRIMARY KEY (epoch, did)) WITHOUT ROWID;
   CREATE TABLE batches (epoch INTEGER NOT NULL, batch INTEGER NOT NULL, body TEXT NOT NULL, applied INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (epoch, batch)) WITHOUT ROWID;
   CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`,
];

const WAIT_MS = 250; // poll interval while a closing epoch waits for its counts
const RESEND_MS = 30_000; // a batch not applied this long after sending is sent again

export interface BlockRecord {
  height: number;
  createdAtMs: number;
  /** Engagements applied in this block per map shard index (length POE_SHARDS). */
  counts: number[];
  closes: number[];
  payouts: { epoch: number; batch: number }[];
  reputed: string[];
}

export interface EpochView {
  epoch: number;
  status: "open" | "closing" | "distributed";
  startsAt: string;
  endsAt: string;
  pool: string;
  emission: string;
  adRevenue: string;
  totalScore: number;
  recipients: number;
  closeHeight?: number;
  rolledOver?: string;
}

type EpochRow = {
  epoch: number;
  close_height: number | null;
  close_requested: number;
  reduced: number;
  distributed: number;
  emission: string | null;
  ad_revenue: string | null;
  pool: string | null;
  rolled_over: string | null;
  total_score: number | null;
  recipients: number | null;
  batches: number | null;
  sent_at: number | null;
};

export class PoeCoordinator extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly config: Config;
  /** The epoch this coordinator started in: the ticker closes epochs from here on. */
  private genesisEpoch = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.config = getConfig(env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql, MIGRATIONS);
      this.sql.exec("INSERT OR IGNORE INTO meta (name, value) VALUES ('genesis_epoch', ?)", epochOf(Date.now(), this.config.EPOCH_MS));
      this.genesisEpoch = one(this.sql.exec<{ value: number }>("SELECT value FROM meta WHERE name = 'genesis_epoch'"))!.value;
      // The epoch ticker lives as long as the deployment does: started on first use.
      if ((await ctx.storage.getAlarm()) === null) await ctx.storage.setAlarm(Date.now());
    });
  }

  // ---- RPC ----

  /** Idempotent by height; returns the epoch this block's engagements belong to. */
  async recordBlock(b: BlockRecord): Promise<{ epoch: number }> {
    const done = one(this.sql.exec<{ epoch: number }>("SELECT epoch FROM blocks WHERE height = ?", b.height));
    if (done) return { epoch: done.epoch };
    // Engagements first: a close in the same block fixes the last height at this block.
    const epoch = this.openEpochFrom(epochOf(b.createdAtMs, this.config.EPOCH_MS));
    if (b.counts.some((n) => n > 0)) {
      this.ensureEpoch(epoch);
      b.counts.forEach((n, shard) => {
        if (n > 0) this.sql.exec("INSERT OR IGNORE INTO expect (source, shard, epoch, n) VALUES (?, ?, ?, ?)", `h:${b.height}`, shard, epoch, n);
      });
    }
    for (const did of b.reputed) this.sql.exec("INSERT OR IGNORE INTO reputed (did) VALUES (?)", did);
    let wake = false;
    for (const e of b.closes) {
      this.ensureEpoch(e);
      if (this.sql.exec("UPDATE epochs SET close_height = ?, close_requested = 1 WHERE epoch = ? AND close_height IS NULL", b.height, e).rowsWritten > 0) wake = true;
    }
    for (const p of b.payouts) {
      this.sql.exec("UPDATE batches SET applied = 1 WHERE epoch = ? AND batch = ?", p.epoch, p.batch);
      const left = one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM batches WHERE epoch = ? AND applied = 0", p.epoch))!.n;
      if (left === 0) this.sql.exec("UPDATE epochs SET distributed = 1 WHERE epoch = ? AND reduced = 1", p.epoch);
    }
    this.sql.exec("INSERT INTO blocks (height, epoch) VALUES (?, ?)", b.height, epoch);
    // A block past the end of an epoch that has not asked for its close: close it now rather
    // than wait for the ticker (which may run late).
    const blockEpoch = epochOf(b.createdAtMs, this.config.EPOCH_MS);
    if (one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM epochs WHERE close_requested = 0 AND epoch < ? AND epoch >= ?", blockEpoch, this.genesisEpoch))!.n > 0) wake = true;
    if (wake) await this.wakeSoon(0);
    return { epoch };
  }

  /**
   * Benchmark bulk load (admin, only when enabled): records `counts` for the current open
   * epoch under `source` (idempotent) and returns that epoch; the caller then ingests the
   * rows into the same map shards the queue consumer feeds.
   */
  async expectBulk(source: string, counts: number[]): Promise<{ epoch: number }> {
    const prior = one(this.sql.exec<{ epoch: number }>("SELECT epoch FROM expect WHERE source = ? LIMIT 1", `bulk:${source}`));
    if (prior) return { epoch: prior.epoch };
    const epoch = this.currentEpoch();
    this.ensureEpoch(epoch);
    counts.forEach((n, shard) => {
      if (n > 0) this.sql.exec("INSERT OR IGNORE INTO expect (source, shard, epoch, n) VALUES (?, ?, ?, ?)", `bulk:${source}`, shard, epoch, n);
    });
    return { epoch };
  }

  /** The epoch that engagements applied now would join. */
  async current(): Promise<number> {
    return this.currentEpoch();
  }

  /** Asks for epoch n's sys.poe.close (idempotent per epoch: one key, one event). */
  async requestClose(epoch: number): Promise<{ epoch: number; id: string }> {
    const { id } = await this.env.SYSTEM_ISSUER.getByName(SYSTEM_ISSUER).issue("sys.poe.close", { epoch, key: `poe-close:${epoch}` });
    this.ensureEpoch(epoch);
    this.sql.exec("UPDATE epochs SET close_requested = 1 WHERE epoch = ?", epoch);
    return { epoch, id };
  }

  async epoch(n: number): Promise<EpochView | null> {
    if (n > this.currentEpoch()) return null;
    const row = this.row(n);
    const base = {
      epoch: n,
      startsAt: new Date(epochStart(n, this.config.EPOCH_MS)).toISOString(),
      endsAt: new Date(epochEnd(n, this.config.EPOCH_MS)).toISOString(),
    };
    if (row?.reduced) {
      return {
        ...base,
        status: row.distributed ? "distributed" : "closing",
        pool: row.pool!,
        emission: row.emission!,
        adRevenue: row.ad_revenue!,
        totalScore: row.total_score!,
        recipients: row.recipients!,
        closeHeight: row.close_height!,
        rolledOver: row.rolled_over!,
      };
    }
    const emission = BigInt(this.config.EPOCH_EMISSION);
    const { settledHeight } = await this.env.SEQUENCER.getByName(SEQUENCER).view();
    let revenue: bigint;
    if (row?.close_height != null) {
      revenue = row.close_height <= settledHeight ? await this.escrowedAt(epochPoolAccount(n), row.close_height) : 0n;
    } else {
      revenue = await this.escrowedAt(POE_POOL, settledHeight); // what it would claim if it closed now
    }
    const view: EpochView = {
      ...base,
      status: row?.close_height != null ? "closing" : "open",
      pool: (emission + revenue).toString(),
      emission: emission.toString(),
      adRevenue: revenue.toString(),
      totalScore: 0,
      recipients: 0,
    };
    if (row?.close_height != null) view.closeHeight = row.close_height;
    return view;
  }

  async rewards(epoch: number, did: string): Promise<{ epoch: number; did: string; creator: string; curator: string; total: string } | null> {
    const r = one(this.sql.exec<{ creator: string; curator: string }>("SELECT creator, curator FROM rewards WHERE epoch = ? AND did = ?", epoch, did));
    if (!r) return null;
    return { epoch, did, creator: r.creator, curator: r.curator, total: (BigInt(r.creator) + BigInt(r.curator)).toString() };
  }

  /**
   * Backlogs (the Queue binding cannot report them): engagements recorded as applied but not
   * yet counted by their shard, for epochs not reduced; payout batches not yet applied.
   */
  async lag(): Promise<{ engagement: number; batches: number }> {
    const expected = this.sql
      .exec<{ epoch: number; shard: number; n: number }>(
        "SELECT x.epoch AS epoch, x.shard AS shard, SUM(x.n) AS n FROM expect x JOIN epochs e ON e.epoch = x.epoch WHERE e.reduced = 0 GROUP BY x.epoch, x.shard",
      )
      .toArray();
    const counts = await Promise.all(expected.map((x) => this.env.POE_SHARD.getByName(poeShardName(x.epoch, x.shard)).count()));
    const engagement = expected.reduce((sum, x, i) => sum + Math.max(0, x.n - counts[i]!), 0);
    const batches = one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM batches WHERE applied = 0"))!.n;
    return { engagement, batches };
  }

  // ---- alarm ----

  override async alarm(): Promise<void> {
    const now = Date.now();
    const cur = epochOf(now, this.config.EPOCH_MS);
    let next = epochEnd(cur, this.config.EPOCH_MS);
    try {
      // (1) Every epoch that has ended (the one just past, and any known one left open) closes
      //     — from the epoch the coordinator started in (nothing before it was tracked).
      const due = new Set<number>([cur - 1]);
      for (const r of this.sql.exec<{ epoch: number }>("SELECT epoch FROM epochs WHERE close_requested = 0 AND epoch < ?", cur)) due.add(r.epoch);
      for (const e of due) if (e >= this.genesisEpoch && !this.row(e)?.close_requested) await this.requestClose(e);
      // (2) Closing epochs: reduce once every engagement up to the close height is counted.
      for (const r of this.sql.exec<EpochRow>("SELECT * FROM epochs WHERE close_height IS NOT NULL AND reduced = 0 ORDER BY epoch").toArray()) {
        if (!(await this.tryReduce(r))) next = Math.min(next, now + WAIT_MS);
      }
      // (3) Batches sent but not applied after a while: send again (issuing is idempotent).
      for (const r of this.sql.exec<EpochRow>("SELECT * FROM epochs WHERE reduced = 1 AND distributed = 0").toArray()) {
        if (r.sent_at === null || r.sent_at + RESEND_MS <= now) await this.sendBatches(r.epoch);
        next = Math.min(next, now + RESEND_MS);
      }
    } catch (err) {
      console.warn("poe coordinator: step failed; retrying", String(err));
      next = Math.min(next, now + 1000);
    }
    await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }

  // ---- reduce ----

  private async tryReduce(r: EpochRow): Promise<boolean> {
    const closeHeight = r.close_height!;
    const { settledHeight } = await this.env.SEQUENCER.getByName(SEQUENCER).view();
    if (settledHeight < closeHeight) return false;
    const expected = this.sql.exec<{ shard: number; n: number }>("SELECT shard, SUM(n) AS n FROM expect WHERE epoch = ? GROUP BY shard", r.epoch).toArray();
    const shards = expected.map((x) => this.env.POE_SHARD.getByName(poeShardName(r.epoch, x.shard)));
    const counts = await Promise.all(shards.map((s) => s.count()));
    if (counts.some((c, i) => c < expected[i]!.n)) return false;

    // (Tuples lose their shape in the RPC stub's types; the wire form is exactly ShardReduce.)
    const reduced = (await Promise.all(shards.map((s) => s.reduce(closeHeight)))) as ShardReduce[];
    const creatorScores = new Map<string, bigint>();
    const curatorWeights = new Map<string, bigint>();
    let totalScore = 0;
    for (const part of reduced) {
      for (const [, creator, score] of part.content) {
        creatorScores.set(creator, (creatorScores.get(creator) ?? 0n) + BigInt(score));
        totalScore += score;
      }
      for (const [did, w] of part.curators) curatorWeights.set(did, (curatorWeights.get(did) ?? 0n) + BigInt(w));
    }
    const adRevenue = await this.escrowedAt(epochPoolAccount(r.epoch), closeHeight);
    const empty = totalScore === 0;
    const emission = empty ? 0n : BigInt(this.config.EPOCH_EMISSION);
    const pool = emission + (empty ? 0n : adRevenue);
    const alloc = allocateEpoch(pool, this.config.CREATOR_SHARE_BPS, creatorScores, curatorWeights);

    // Reputation: every DID that may hold some (as of the close height) decays; creators gain.
    const candidates = new Set<string>(this.sql.exec<{ did: string }>("SELECT did FROM reputed").toArray().map((x) => x.did));
    const reps = await this.reputationAt([...candidates], closeHeight);
    const entries = new Map<string, PayoutEntry>();
    const entry = (did: string) => {
      let e = entries.get(did);
      if (!e) entries.set(did, (e = { did, amount: 0n, gain: 0 }));
      return e;
    };
    for (const [did, rep] of reps) if (rep > 0) entry(did);
    for (const [did, score] of creatorScores) {
      const gain = reputationGain(Number(score));
      if (gain > 0) entry(did).gain = gain;
    }
    for (const [did, a] of alloc.creator) entry(did).amount += a;
    for (const [did, a] of alloc.curator) entry(did).amount += a;
    const batches = payoutBatches([...entries.values()], empty ? 0n : adRevenue, this.config.POE_BATCH_SIZE);
    const recipients = [...entries.values()].filter((e) => e.amount > 0n).length;

    // Commit: one synchronous step, once.
    if (this.sql.exec("UPDATE epochs SET reduced = 1 WHERE epoch = ? AND reduced = 0", r.epoch).rowsWritten === 0) return true;
    this.sql.exec(
      "UPDATE epochs SET emission = ?, ad_revenue = ?, pool = ?, rolled_over = ?, total_score = ?, recipients = ?, batches = ? WHERE epoch = ?",
      emission.toString(),
      adRevenue.toString(),
      pool.toString(),
      (empty ? adRevenue : 0n).toString(),
      totalScore,
      recipients,
      batches.length,
      r.epoch,
    );
    const dids = new Set([...alloc.creator.keys(), ...alloc.curator.keys()]);
    for (const did of dids) {
      this.sql.exec("INSERT OR IGNORE INTO rewards (epoch, did, creator, curator) VALUES (?, ?, ?, ?)", r.epoch, did, (alloc.creator.get(did) ?? 0n).toString(), (alloc.curator.get(did) ?? 0n).toString());
    }
    for (const b of batches) {
      const body = {
        epoch: r.epoch,
        batch: b.batch,
        batches: batches.length,
        mint: b.mint.toString(),
        fromPool: b.fromPool.toString(),
        rollover: empty && b.batch === 0,
        entries: b.entries.map((e) => ({ did: e.did, amount: e.amount.toString(), gain: e.gain })),
        key: `poe-payout:${r.epoch}:${b.batch}`,
      };
      this.sql.exec("INSERT OR IGNORE INTO batches (epoch, batch, body) VALUES (?, ?, ?)", r.epoch, b.batch, JSON.stringify(body));
    }
    await this.sendBatches(r.epoch);
    return true;
  }

  private async sendBatches(epoch: number): Promise<void> {
    const rows = this.sql.exec<{ batch: number; body: string }>("SELECT batch, body FROM batches WHERE epoch = ? AND applied = 0 ORDER BY batch", epoch).toArray();
    const msgs: { body: PoeBatchMessage }[] = rows.map((r) => ({ body: { epoch, batch: r.batch, body: JSON.parse(r.body) } }));
    for (let i = 0; i < msgs.length; i += 20) await this.env.POE_BATCHES.sendBatch(msgs.slice(i, i + 20)); // ≤ 20 × ~30 KB per send
    this.sql.exec("UPDATE epochs SET sent_at = ? WHERE epoch = ?", Date.now(), epoch);
  }

  // ---- helpers ----

  private currentEpoch(): number {
    return this.openEpochFrom(epochOf(Date.now(), this.config.EPOCH_MS));
  }

  /** The first epoch ≥ e that is not closed. */
  private openEpochFrom(e: number): number {
    for (;;) {
      const r = one(this.sql.exec<{ close_height: number | null }>("SELECT close_height FROM epochs WHERE epoch = ?", e));
      if (!r || r.close_height === null) return e;
      e++;
    }
  }

  private ensureEpoch(epoch: number): void {
    this.sql.exec("INSERT OR IGNORE INTO epochs (epoch) VALUES (?)", epoch);
  }

  private row(epoch: number): EpochRow | undefined {
    return one(this.sql.exec<EpochRow>("SELECT * FROM epochs WHERE epoch = ?", epoch));
  }

  private async wakeSoon(ms: number): Promise<void> {
    const at = Date.now() + ms;
    const cur = await this.ctx.storage.getAlarm();
    if (cur === null || cur > at) await this.ctx.storage.setAlarm(at);
  }

  private async escrowedAt(did: string, height: number): Promise<bigint> {
    const shard = this.env.ACCOUNT_SHARD.getByName(accountShardFor(did, this.config.ACCOUNT_SHARDS));
    return BigInt((await shard.read([did], height))[did]!.escrowed);
  }

  private async reputationAt(dids: string[], height: number): Promise<Map<string, number>> {
    const byShard = new Map<string, string[]>();
    for (const did of dids) {
      const s = accountShardFor(did, this.config.ACCOUNT_SHARDS);
      if (!byShard.has(s)) byShard.set(s, []);
      byShard.get(s)!.push(did);
    }
    const out = new Map<string, number>();
    await Promise.all(
      [...byShard].map(async ([s, list]) => {
        const read = await this.env.ACCOUNT_SHARD.getByName(s).read(list, height);
        for (const [did, a] of Object.entries(read)) out.set(did, a.reputation);
      }),
    );
    return out;
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
