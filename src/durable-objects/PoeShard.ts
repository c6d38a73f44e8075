// PoeShard: the map side of one epoch's Proof-of-Engagement reduce. One instance per
// (epoch, shard index); engagements are partitioned by engager. Each engagement is recorded
// once by its event id (redelivery changes nothing) and deduplicated by (engager, target,
// kind): repeats in an epoch count zero. `count` is what the coordinator compares with the
// number of engagements the ledger applied for this shard before it reduces.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import { accountShardFor } from "../workers/shards";
import { engagerBps, KIND_WEIGHT, type EngagementKind } from "../poe/model";
import { migrate, one } from "./sqlite";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE seen (id TEXT PRIMARY KEY) WITHOUT ROWID;
   CREATE TABLE eng (
     engager TEXT NOT NULL,
     target TEXT NOT NULL,
     kind TEXT NOT NULL,
     creator TEXT NOT NULL,
     PRIMARY KEY (engager, target, kind)
   ) WITHOUT ROWID;
   CREATE TABLE meta (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), count INTEGER NOT NULL);
   CREATE TABLE rep (engager TEXT PRIMARY KEY, bps INTEGER NOT NULL) WITHOUT ROWID;
   INSERT INTO meta (singleton, count) VALUES (1, 0);`,
];

export interface EngagementRow {
  id: string;
  kind: EngagementKind;
  engager: string;
  target: string;
  creator: string;
}

export interface ShardReduce {
  /** [target, creator, score] for every content item with a positive score. */
  content: [string, string, number][];
  /** [engager, contributed weight] for every engager with a positive weight. */
  curators: [string, number][];
  count: number;
}

export class PoeShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private counted = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql, MIGRATIONS);
      this.counted = one(this.sql.exec<{ count: number }>("SELECT count FROM meta"))!.count;
    });
  }

  /** Records engagements once each (by event id). Synchronous: all or nothing per call. */
  async ingest(rows: EngagementRow[]): Promise<{ count: number }> {
    let added = 0;
    for (const r of rows) {
      if (this.sql.exec("INSERT OR IGNORE INTO seen (id) VALUES (?)", r.id).rowsWritten === 0) continue;
      added++;
      this.sql.exec("INSERT OR IGNORE INTO eng (engager, target, kind, creator) VALUES (?, ?, ?, ?)", r.engager, r.target, r.kind, r.creator);
    }
    if (added > 0) {
      this.counted += added;
      this.sql.exec("UPDATE meta SET count = ?", this.counted);
    }
    return { count: this.counted };
  }

  async count(): Promise<number> {
    return this.counted;
  }

  /**
   * Scores this shard's engagements with each engager's reputation as of `snapshotHeight`
   * (an immutable past height: the epoch's close). Call it again, get the same (the `rep`
   * table is scratch space rewritten by every call, in one synchronous step).
   */
  async reduce(snapshotHeight: number): Promise<ShardReduce> {
    const engagers = this.sql.exec<{ engager: string }>("SELECT DISTINCT engager FROM eng").toArray().map((r) => r.engager);
    const shards = getConfig(this.env).ACCOUNT_SHARDS;
    const byShard = new Map<string, string[]>();
    for (const did of engagers) {
      const s = accountShardFor(did, shards);
      if (!byShard.has(s)) byShard.set(s, []);
      byShard.get(s)!.push(did);
    }
    const reputation = new Map<string, number>();
    await Promise.all(
      [...byShard].map(async ([s, dids]) => {
        const read = await this.env.ACCOUNT_SHARD.getByName(s).read(dids, snapshotHeight);
        for (const [did, a] of Object.entries(read)) reputation.set(did, a.reputation);
      }),
    );
    // The weights of src/poe/model.ts, summed inside SQLite: engager weight (bps) per engager
    // in a scratch table, kind weight as a CASE, self-engagement excluded. Rows weighing zero
    // (fresh engagers) are left out by the join.
    this.sql.exec("DELETE FROM rep");
    for (const [did, r] of reputation) {
      const bps = engagerBps(r);
      if (bps > 0) this.sql.exec("INSERT INTO rep (engager, bps) VALUES (?, ?)", did, bps);
    }
    const kindWeight = `CASE e.kind ${Object.entries(KIND_WEIGHT).map(([k, w]) => `WHEN '${k}' THEN ${w}`).join(" ")} ELSE 0 END`;
    const weighted = `FROM eng e JOIN rep r ON r.engager = e.engager WHERE e.engager <> e.creator`;
    const content = this.sql
      .exec<{ target: string; creator: string; score: number }>(`SELECT e.target AS target, e.creator AS creator, SUM(${kindWeight} * r.bps) AS score ${weighted} GROUP BY e.target, e.creator`)
      .toArray()
      .filter((x) => x.score > 0)
      .map((x): [string, string, number] => [x.target, x.creator, x.score]);
    const curators = this.sql
      .exec<{ engager: string; weight: number }>(`SELECT e.engager AS engager, SUM(${kindWeight} * r.bps) AS weight ${weighted} GROUP BY e.engager`)
      .toArray()
      .filter((x) => x.weight > 0)
      .map((x): [string, number] => [x.engager, x.weight]);
    return { content, curators, count: this.counted };
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
