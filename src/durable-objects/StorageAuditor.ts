// StorageAuditor (`auditor`): every AUDIT_INTERVAL_MS (alarm) it runs an audit round: up to
// AUDIT_MAX_CHUNKS chunks per ChunkIndex shard, least recently audited first; every healthy
// replica is challenged at a leaf index derived from the latest block hash (a beacon nobody
// controls ahead of time) bound to node and chunk; failed proofs mark the replica bad and
// lower the node's score, and repair restores REPLICATION_FACTOR healthy replicas. A round
// already running is joined, never run twice at once. Rounds are recorded for GET /audits.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import { allChunkIndexShards } from "../lib/placement";
import { SEQUENCER } from "../workers/shards";
import { auditChunk, repairChunk, type AuditResult, type RepairResult } from "../storage/store";
import type { ChunkMeta } from "./ChunkIndex";
import { migrate } from "./sqlite";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE rounds (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     started_at TEXT NOT NULL,
     finished_at TEXT NOT NULL,
     beacon TEXT NOT NULL,
     height INTEGER NOT NULL,
     checked INTEGER NOT NULL,
     failed INTEGER NOT NULL,
     repaired INTEGER NOT NULL,
     results TEXT NOT NULL,
     repairs TEXT NOT NULL
   );`,
];

const KEEP_ROUNDS = 100;
const MAX_RESULTS_PER_ROUND = 500;
const CHUNK_CONCURRENCY = 8;

export interface AuditRound {
  id: number;
  startedAt: string;
  finishedAt: string;
  beacon: string;
  height: number;
  checked: number;
  failed: number;
  repaired: number;
  results: AuditResult[];
  repairs: RepairResult[];
}

export class StorageAuditor extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private running: Promise<AuditRound> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(this.sql, MIGRATIONS));
  }

  /** Idempotent: arms the periodic alarm if it is not armed. */
  async start(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + getConfig(this.env).AUDIT_INTERVAL_MS);
  }

  /** Runs a round now (or joins the one in progress). `only` restricts it to given CIDs. */
  async runRound(only?: string[]): Promise<AuditRound> {
    if (!this.running) this.running = this.round(only).finally(() => (this.running = null));
    return this.running;
  }

  async recent(limit: number): Promise<AuditRound[]> {
    return this.sql
      .exec<Record<string, string | number>>("SELECT * FROM rounds ORDER BY id DESC LIMIT ?", limit)
      .toArray()
      .map((r) => ({
        id: r.id as number,
        startedAt: r.started_at as string,
        finishedAt: r.finished_at as string,
        beacon: r.beacon as string,
        height: r.height as number,
        checked: r.checked as number,
        failed: r.failed as number,
        repaired: r.repaired as number,
        results: JSON.parse(r.results as string),
        repairs: JSON.parse(r.repairs as string),
      }));
  }

  override async alarm(): Promise<void> {
    // Re-arm first, so a reset in the middle of a round still leaves the next one scheduled.
    await this.ctx.storage.setAlarm(Date.now() + getConfig(this.env).AUDIT_INTERVAL_MS);
    await this.runRound();
  }

  private async round(only?: string[]): Promise<AuditRound> {
    const config = getConfig(this.env);
    const startedAt = new Date().toISOString();
    const block = await this.env.SEQUENCER.getByName(SEQUENCER).latestBlock();
    const beacon = block.hash;
    const now = Date.now();
    const metas: ChunkMeta[] = (
      await Promise.all(
        allChunkIndexShards(config.CHUNK_INDEX_SHARDS).map((s) => this.env.CHUNK_INDEX.getByName(s).auditCandidates(config.AUDIT_MAX_CHUNKS, now, only)),
      )
    ).flat();

    const results: AuditResult[] = [];
    const repairs: RepairResult[] = [];
    let cursor = 0;
    const worker = async () => {
      while (cursor < metas.length) {
        const meta = metas[cursor++]!;
        const audited = await auditChunk(this.env, meta, beacon);
        results.push(...audited);
        const healthyBefore = meta.replicas.filter((r) => r.status === "ok").length - audited.filter((a) => !a.ok).length;
        if (healthyBefore < config.REPLICATION_FACTOR || meta.replicas.some((r) => r.status === "bad")) {
          repairs.push(...(await repairChunk(this.env, meta.cid)));
        }
      }
    };
    await Promise.all(Array.from({ length: CHUNK_CONCURRENCY }, worker));

    const round = {
      startedAt,
      finishedAt: new Date().toISOString(),
      beacon,
      height: block.height,
      checked: results.filter((r) => r.reason !== "skipped_overloaded").length,
      failed: results.filter((r) => !r.ok).length,
      repaired: repairs.length,
      results: results.slice(0, MAX_RESULTS_PER_ROUND),
      repairs: repairs.slice(0, MAX_RESULTS_PER_ROUND),
    };
    const id = this.sql
      .exec<{ id: number }>(
        "INSERT INTO rounds (started_at, finished_at, beacon, height, checked, failed, repaired, results, repairs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        round.startedAt,
        round.finishedAt,
        round.beacon,
        round.height,
        round.checked,
        round.failed,
        round.repaired,
        JSON.stringify(round.results),
        JSON.stringify(round.repairs),
      )
      .one().id;
    this.sql.exec("DELETE FROM rounds WHERE id <= ?", id - KEEP_ROUNDS);
    return { id, ...round };
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
