// Sequencer: gives every attested event a global sequence, cuts hash-chained blocks at
// BLOCK_MAX_EVENTS or BLOCK_INTERVAL_MS after their first event (and empty heartbeat blocks
// only when a deadline is due), and executes blocks strictly in height order.
//
// Block executor (per block h): read the touched contract instances and accounts as of h−1
// (one parallel round each), compute the block in memory (src/ledger/executor.ts), write
// every AccountShard's changes keyed by (h, shard) and every changed instance's state keyed
// by h — repeats are no-ops — and only then commit h here (results, supply, deadlines,
// applied height) in one synchronous step. A crash or reset anywhere before that commit
// re-runs h from the same h−1 reads to the same writes; after it, h is never run again.
// Event statuses (applied/failed) are delivered after the commit, so an event reads as
// applied only when every shard it touches has applied its block.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { getConfig, type Config } from "../lib/config";
import { GENESIS_PREV_HASH, makeBlock, type Block } from "../lib/blocks";
import {
  accountFromWire,
  accountsTouched,
  accountToWire,
  executeBlock,
  instancesTouched,
  supplyFromWire,
  supplyToWire,
  type AccountState,
  type AccountWire,
  type SequencedEvent,
  type SupplyWire,
} from "../ledger/executor";
import type { ContractState } from "../ledger/contracts";
import type { AnySignedEvent } from "../schemas/events";
import { accountShardFor, allAccountShards, contentShardFor, shardFor, SYSTEM_ISSUER } from "../workers/shards";
import { contentKey, contentOpFor, type ContentOp, type IndexUpdate } from "../content/ops";
import { QueueBatcher } from "../queues/batcher";
import { deliverCampaignEffects } from "../ads/deliver";
import { migrate, one } from "./sqlite";
import { deliverEngagement } from "../poe/deliver";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE entries (
     id TEXT PRIMARY KEY,
     seq INTEGER NOT NULL UNIQUE,
     envelope TEXT NOT NULL,
     block INTEGER,
     status TEXT,
     reason TEXT
   );
   CREATE INDEX entries_unblocked ON entries (seq) WHERE block IS NULL;
   CREATE INDEX entries_block ON entries (block, seq);
   CREATE TABLE blocks (height INTEGER PRIMARY KEY, hash TEXT NOT NULL, prev_hash TEXT NOT NULL, created_at TEXT NOT NULL, events TEXT NOT NULL);
   CREATE TABLE supply (height INTEGER PRIMARY KEY, minted TEXT NOT NULL, burned TEXT NOT NULL, circulating TEXT NOT NULL, escrowed TEXT NOT NULL, in_flight TEXT NOT NULL);
   CREATE TABLE deadlines (instance TEXT PRIMARY KEY, at INTEGER NOT NULL);
   CREATE INDEX deadlines_at ON deadlines (at, instance);
   CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`,
];

const RETRY_MS = 500;
const SAFETY_MS = 5000;

export interface AppendItem {
  id: string;
  event: Record<string, unknown>;
}

export interface SettledView {
  settledHeight: number;
  latestHeight: number;
}

export class Sequencer extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly config: Config;
  private nextSeq = 1;
  private latest!: Block;
  private applied = 0;
  private statusHeight = 0;
  private unblocked = 0;
  private firstPendingAt: number | null = null;
  private running: Promise<void> | null = null;
  private systemDid: string | null = null;
  /** Executor cost since this instance started: wall time of block application, shard RPCs included. */
  private readonly executor = { blocks: 0, events: 0, ms: 0 };
  private readonly indexUpdates: QueueBatcher<IndexUpdate>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.config = getConfig(env);
    this.indexUpdates = new QueueBatcher(env.INDEX_UPDATES);
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql, MIGRATIONS);
      if (!this.loadLatest()) {
        const genesis = makeBlock(0, GENESIS_PREV_HASH, new Date().toISOString(), []);
        this.insertBlock(genesis);
        this.sql.exec("INSERT INTO supply VALUES (0, '0', '0', '0', '0', '0')");
        this.latest = genesis;
      }
      this.nextSeq = this.counter("next_seq", 1);
      this.applied = this.counter("applied", 0);
      this.statusHeight = this.counter("status_height", 0);
      this.unblocked = one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM entries WHERE block IS NULL"))!.n;
      if (this.unblocked > 0) this.firstPendingAt = Date.now();
      // After a reset, pick up whatever was left: cutting, executing, delivering statuses.
      if (this.unblocked > 0 || this.applied < this.latest.height || this.statusHeight < this.applied) {
        await ctx.storage.setAlarm(Date.now());
      }
    });
  }

  // ---- RPC ----

  /** Gives each new event the next sequence number; a repeat keeps its first one. */
  async append(items: AppendItem[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const { id, event } of items) {
      const existing = one(this.sql.exec<{ seq: number }>("SELECT seq FROM entries WHERE id = ?", id));
      if (existing) {
        out[id] = existing.seq;
        continue;
      }
      const seq = this.nextSeq++;
      this.sql.exec("INSERT INTO entries (id, seq, envelope) VALUES (?, ?, ?)", id, seq, JSON.stringify(event));
      this.unblocked++;
      this.firstPendingAt ??= Date.now();
      out[id] = seq;
    }
    this.setCounter("next_seq", this.nextSeq);
    while (this.unblocked >= this.config.BLOCK_MAX_EVENTS) this.cutBlock(false);
    await this.schedule();
    return out;
  }

  async view(): Promise<SettledView> {
    return { settledHeight: this.applied, latestHeight: this.latest.height };
  }

  async block(height: number): Promise<Block | null> {
    const r = one(this.sql.exec<{ height: number; hash: string; prev_hash: string; created_at: string; events: string }>("SELECT * FROM blocks WHERE height = ?", height));
    return r ? { height: r.height, hash: r.hash, prevHash: r.prev_hash, createdAt: r.created_at, events: JSON.parse(r.events) } : null;
  }

  async latestBlock(): Promise<Block> {
    return this.latest;
  }

  /** Supply at `height` (default: settled). Null beyond the settled height. */
  async supply(height?: number): Promise<(SupplyWire & { height: number }) | null> {
    const h = height ?? this.applied;
    if (h > this.applied) return null;
    const r = one(this.sql.exec<{ minted: string; burned: string; circulating: string; escrowed: string; in_flight: string }>("SELECT * FROM supply WHERE height = ?", h));
    if (!r) return null;
    return { minted: r.minted, burned: r.burned, circulating: r.circulating, escrowed: r.escrowed, inFlight: r.in_flight, height: h };
  }

  async stats() {
    return {
      settledHeight: this.applied,
      latestHeight: this.latest.height,
      unblocked: this.unblocked,
      statusHeight: this.statusHeight,
      sequenced: this.nextSeq - 1,
      executor: { ...this.executor },
    };
  }

  // ---- alarm: cut what is due, execute, deliver statuses ----

  override async alarm(): Promise<void> {
    const now = Date.now();
    // A safety net first: if this run dies (reset, eviction), this alarm resumes the work.
    await this.ctx.storage.setAlarm(now + SAFETY_MS);
    if (this.unblocked > 0 && this.firstPendingAt !== null && now >= this.firstPendingAt + this.config.BLOCK_INTERVAL_MS) {
      while (this.unblocked > 0) this.cutBlock(false);
    } else if (this.unblocked === 0 && this.latest.height === this.applied) {
      const due = this.nextDeadline();
      if (due !== null && due <= now) this.cutBlock(true); // heartbeat: a deadline is due
    }
    try {
      await this.run();
    } catch (err) {
      console.warn("block execution failed; retrying", String(err));
      await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
      return;
    }
    await this.ctx.storage.deleteAlarm();
    await this.schedule();
  }

  // ---- block cutting ----

  private cutBlock(heartbeat: boolean): void {
    const rows = this.sql
      .exec<{ id: string; seq: number }>("SELECT id, seq FROM entries WHERE block IS NULL ORDER BY seq LIMIT ?", this.config.BLOCK_MAX_EVENTS)
      .toArray();
    const ids = rows.map((r) => r.id);
    if (ids.length === 0 && !heartbeat) return;
    const createdAtMs = Math.max(Date.now(), Date.parse(this.latest.createdAt)); // never decreases
    const block = makeBlock(this.latest.height + 1, this.latest.hash, new Date(createdAtMs).toISOString(), ids);
    this.insertBlock(block);
    // The block takes the lowest unblocked sequences, so "unblocked up to its last seq" is it.
    if (rows.length > 0) this.sql.exec("UPDATE entries SET block = ? WHERE block IS NULL AND seq <= ?", block.height, rows[rows.length - 1]!.seq);
    this.latest = block;
    this.unblocked -= ids.length;
    this.firstPendingAt = this.unblocked > 0 ? Date.now() : null;
  }

  private insertBlock(b: Block): void {
    this.sql.exec("INSERT INTO blocks (height, hash, prev_hash, created_at, events) VALUES (?, ?, ?, ?, ?)", b.height, b.hash, b.prevHash, b.createdAt, JSON.stringify(b.events));
  }

  // ---- execution ----

  /** One executor at a time: concurrent callers share the run in progress. */
  private run(): Promise<void> {
    // `.finally` clears the slot asynchronously, after the assignment: a run with nothing to
    // do must not leave a settled promise behind that would swallow every later run.
    this.running ??= this.runLoop().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runLoop(): Promise<void> {
    while (this.applied < this.latest.height || this.statusHeight < this.applied) {
      if (this.statusHeight < this.applied) await this.deliverStatuses(this.statusHeight + 1);
      else await this.applyBlock(this.applied + 1);
    }
  }

  private async applyBlock(h: number): Promise<void> {
    const started = Date.now();
    const block = (await this.block(h))!;
    const createdAtMs = Date.parse(block.createdAt);
    const events: SequencedEvent[] = this.sql
      .exec<{ id: string; seq: number; envelope: string }>("SELECT id, seq, envelope FROM entries WHERE block = ? ORDER BY seq", h)
      .toArray()
      .map((r) => ({ id: r.id, sequence: r.seq, event: JSON.parse(r.envelope) as AnySignedEvent }));
    const expiring = this.sql
      .exec<{ instance: string }>("SELECT instance FROM deadlines WHERE at <= ? ORDER BY at, instance", createdAtMs)
      .toArray()
      .map((r) => r.instance);

    // Round 1: contract instances as of h−1.
    const contracts = new Map<string, ContractState>();
    const instanceIds = instancesTouched(events, expiring);
    await Promise.all(
      instanceIds.map(async (id) => {
        const r = await this.env.CONTRACT_INSTANCE.getByName(id).read(h - 1);
        if (r) contracts.set(id, r.state);
      }),
    );
    // Round 2: accounts as of h−1, one call per shard.
    const byShard = new Map<string, string[]>();
    for (const did of accountsTouched(events, contracts)) {
      const shard = accountShardFor(did, this.config.ACCOUNT_SHARDS);
      if (!byShard.has(shard)) byShard.set(shard, []);
      byShard.get(shard)!.push(did);
    }
    const accounts = new Map<string, AccountState>();
    await Promise.all(
      [...byShard].map(async ([shard, dids]) => {
        const read = await this.env.ACCOUNT_SHARD.getByName(shard).read(dids, h - 1);
        for (const [did, a] of Object.entries(read)) accounts.set(did, accountFromWire(a));
      }),
    );

    const prevSupply = (await this.supply(h - 1))!;
    const out = executeBlock({
      height: h,
      createdAtMs,
      events,
      accounts,
      contracts,
      expiring,
      systemDid: await this.getSystemDid(),
      supply: supplyFromWire(prevSupply),
    });

    // Writes, keyed by (h, shard) and (h, instance): every shard gets every block.
    const changes = new Map<string, Record<string, AccountWire>>(allAccountShards(this.config.ACCOUNT_SHARDS).map((s) => [s, {}]));
    for (const [did, a] of out.accounts) changes.get(accountShardFor(did, this.config.ACCOUNT_SHARDS))![did] = accountToWire(a);
    await Promise.all([
      ...[...changes].map(([shard, c]) => this.env.ACCOUNT_SHARD.getByName(shard).applyBlock(h, c)),
      ...[...out.contracts].map(([id, state]) => this.env.CONTRACT_INSTANCE.getByName(id).applyBlock(h, state)),
    ]);

    // Commit h: synchronous, so it happens entirely or (after a reset) not at all.
    for (const r of out.results) this.sql.exec("UPDATE entries SET status = ?, reason = ? WHERE id = ?", r.status, r.reason ?? null, r.id);
    const s = supplyToWire(out.supply);
    this.sql.exec("INSERT OR REPLACE INTO supply VALUES (?, ?, ?, ?, ?, ?)", h, s.minted, s.burned, s.circulating, s.escrowed, s.inFlight);
    for (const id of out.deadlinesCleared) this.sql.exec("DELETE FROM deadlines WHERE instance = ?", id);
    for (const [id, at] of out.deadlinesSet) this.sql.exec("INSERT OR REPLACE INTO deadlines (instance, at) VALUES (?, ?)", id, at);
    this.applied = h;
    this.setCounter("applied", h);
    this.executor.blocks++;
    this.executor.events += events.length;
    this.executor.ms += Date.now() - started;
  }

  /**
   * After block h is committed: content effects to the ContentShards (in block order,
   * idempotent by event id), the resulting index updates onto index-updates, and only then
   * the final statuses — so `applied` means every shard the event touches has applied it.
   * A failure anywhere re-runs this whole step for h; every part of it is idempotent.
   */
  private async deliverStatuses(h: number): Promise<void> {
    const rows = this.sql
      .exec<{ id: string; seq: number; status: "applied" | "failed"; reason: string | null; envelope: string }>(
        "SELECT id, seq, status, reason, envelope FROM entries WHERE block = ? ORDER BY seq",
        h,
      )
      .toArray();

    const opsByShard = new Map<string, ContentOp[]>();
    for (const r of rows) {
      if (r.status !== "applied") continue;
      const op = contentOpFor(r.id, r.seq, h, JSON.parse(r.envelope) as AnySignedEvent);
      if (!op) continue;
      const shard = contentShardFor(contentKey(op), this.config.CONTENT_SHARDS);
      if (!opsByShard.has(shard)) opsByShard.set(shard, []);
      opsByShard.get(shard)!.push(op);
    }
    const updates = (await Promise.all([...opsByShard].map(([shard, ops]) => this.env.CONTENT_SHARD.getByName(shard).applyOps(ops)))).flat();
    await Promise.all(updates.map((u) => this.indexUpdates.send(u))); // coalesced, ≤100 msgs / ≤240 KB per batch
    // PoE (DESIGN §8: engagements, closes, payouts) and ads (DESIGN §7: campaign state), each idempotent by event id.
    await Promise.all([deliverEngagement(this.env, h, (await this.block(h))!, rows), deliverCampaignEffects(this.env, h, rows)]);

    const byShard = new Map<string, { id: string; status: "applied" | "failed"; reason?: string; sequence: number; block: number }[]>();
    for (const r of rows) {
      const shard = shardFor(r.id, this.config.EVENT_SHARDS);
      if (!byShard.has(shard)) byShard.set(shard, []);
      byShard.get(shard)!.push({ id: r.id, status: r.status, ...(r.reason !== null ? { reason: r.reason } : {}), sequence: r.seq, block: h });
    }
    await Promise.all([...byShard].map(([shard, results]) => this.env.EVENT_SHARD.getByName(shard).markFinal(results)));
    this.statusHeight = h;
    this.setCounter("status_height", h);
  }

  // ---- helpers ----

  private async schedule(): Promise<void> {
    const now = Date.now();
    const candidates: number[] = [];
    if (this.applied < this.latest.height || this.statusHeight < this.applied) candidates.push(now);
    if (this.unblocked > 0 && this.firstPendingAt !== null) candidates.push(this.firstPendingAt + this.config.BLOCK_INTERVAL_MS);
    const deadline = this.nextDeadline();
    if (deadline !== null && this.latest.height === this.applied) candidates.push(deadline);
    if (candidates.length === 0) return;
    const at = Math.max(now, Math.min(...candidates));
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  private nextDeadline(): number | null {
    return one(this.sql.exec<{ at: number | null }>("SELECT MIN(at) AS at FROM deadlines"))?.at ?? null;
  }

  private async getSystemDid(): Promise<string> {
    this.systemDid ??= (await this.env.SYSTEM_ISSUER.getByName(SYSTEM_ISSUER).identity()).did;
    return this.systemDid;
  }

  private loadLatest(): boolean {
    const r = one(this.sql.exec<{ height: number; hash: string; prev_hash: string; created_at: string; events: string }>("SELECT * FROM blocks ORDER BY height DESC LIMIT 1"));
    if (!r) return false;
    this.latest = { height: r.height, hash: r.hash, prevHash: r.prev_hash, createdAt: r.created_at, events: JSON.parse(r.events) };
    return true;
  }

  private counter(name: string, def: number): number {
    return one(this.sql.exec<{ value: number }>("SELECT value FROM counters WHERE name = ?", name))?.value ?? def;
  }

  private setCounter(name: string, value: number): void {
    this.sql.exec("INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)", name, value);
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
