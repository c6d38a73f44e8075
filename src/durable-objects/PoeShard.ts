// PoeShard: the map side of one epoch's Proof-of-Engagement reduce. One instance per
// (epoch, shard index); engagements are partitioned by engager. Each engagement is recorded
// once by its event id (redelivery changes nothing) and deduplicated by (engager, target,
// kind): repeats in an epoch count zero. `count` is what the coordinator compares with the
// number of engagements the ledger applied for this shard before it reduces.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import { accountShardFor } from "../workers/shards";
import { engagementWeight, type EngagementKind } from "../poe/model";
import { migrate, one } from "./sqlite";

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
   * (an immutable past height: the epoch's close). Read-only: call it again, get the same.
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
    const content = new Map<string, [string, string, number]>();
    const curators = new Map<string, number>();
    for (const r of this.sql.exec<{ engager: string; target: string; kind: EngagementKind; creator: string }>("SELECT engager, target, kind, creator FROM eng")) {
      const w = engagementWeight(r.kind, r.engager, r.creator, reputation.get(r.engager) ?? 0);
      if (w === 0) continue;
      const c = content.get(r.target);
      if (c) c[2] += w;
      else content.set(r.target, [r.target, r.creator, w]);
      curators.set(r.engager, (curators.get(r.engager) ?? 0) + w);
    }
    return { content: [...content.values()], curators: [...curators], count: this.counted };
  }
}
