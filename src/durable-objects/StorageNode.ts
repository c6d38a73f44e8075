// StorageNode: one hosted storage node (`node-0…`). It owns its replica table, its capacity
// accounting and a bound on in-flight I/O; the bytes live in R2, one object per replica at
// `ssn/<node>/<cid>`. Capacity is reserved synchronously before the R2 write and committed
// (row inserted) after it, so concurrent writes never overshoot; concurrent writes of the same
// CID share one R2 put. Storage challenges are answered from this node's own replica bytes.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import { toBase64 } from "../lib/encoding";
import { chunkLeaves, proveLeaf } from "../lib/merkle";
import { replicaKey } from "../lib/placement";
import { migrate, one } from "./sqlite";
import { abortSelf } from "./fault-reset";
import { chunkIndexFor } from "../lib/placement";
import { signProviderRecord } from "../lib/dht";
import { nextPublishBoundary, publishProviders } from "../dht/hosted";
import { loadOrCreateIdentity, type DoIdentity } from "./identity";

/** DHT publishing: at the next window boundary (a burst of PUTs → one batch); retries after a failure. */
const PUBLISH_RETRY_MS = 5000;
const PUBLISH_BATCH = 256;

const MIGRATIONS = [
  `CREATE TABLE replicas (cid TEXT PRIMARY KEY, size INTEGER NOT NULL, stored_at INTEGER NOT NULL);
   CREATE TABLE audit_score (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), passed INTEGER NOT NULL, failed INTEGER NOT NULL);
   INSERT INTO audit_score (singleton, passed, failed) VALUES (1, 0, 0);`,
  // DHT (issue 6): the node's own identity (it signs its provider records), its name, and the
  // replicas it advertises with when each is next (re)published.
  `CREATE TABLE identity (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), did TEXT NOT NULL, public_key BLOB NOT NULL, pkcs8 BLOB NOT NULL);
   CREATE TABLE self_name (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), name TEXT NOT NULL);
   CREATE TABLE dht_provides (cid TEXT PRIMARY KEY, next_at INTEGER NOT NULL);`,
];

export type NodePutResult = { ok: true; created: boolean } | { ok: false; code: "overloaded" | "full" };
export type NodeGetResult = { ok: true; bytes: Uint8Array | null } | { ok: false; code: "overloaded" };
export type NodeChallengeResult =
  | { ok: true; cid: string; leafIndex: number; leaf: string; proof: string[] }
  | { ok: false; code: "overloaded" | "not_found" | "bad_index"; leafCount?: number };

export interface NodeStats {
  id: string;
  capacityBytes: number;
  usedBytes: number;
  chunks: number;
  status: "active" | "full" | "degraded";
  auditPassRate: number;
  inFlight: number;
  /** the node's did:key, once it has published provider records (issue 6) */
  did?: string;
}

export class StorageNode extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private inFlight = 0;
  private reservedBytes = 0;
  private readonly writes = new Map<string, Promise<NodePutResult>>();
  private identity: DoIdentity | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(this.sql, MIGRATIONS));
  }

  /** Stores a replica (idempotent by CID). `full` and `overloaded` are decided synchronously. */
  async put(node: string, cid: string, bytes: Uint8Array): Promise<NodePutResult> {
    if (this.has(cid)) return { ok: true, created: false };
    const pending = this.writes.get(cid);
    if (pending) return pending.then((r) => (r.ok ? { ok: true, created: false } : r));
    const config = getConfig(this.env);
    if (this.inFlight >= config.STORAGE_NODE_MAX_INFLIGHT) return { ok: false, code: "overloaded" };
    if (this.usedBytes() + this.reservedBytes + bytes.length > config.STORAGE_NODE_CAPACITY_BYTES) return { ok: false, code: "full" };
    // Reserve (synchronously) → write to R2 → commit the row; release on any outcome.
    this.inFlight++;
    this.reservedBytes += bytes.length;
    const write = (async (): Promise<NodePutResult> => {
      try {
        await this.env.CHUNKS.put(replicaKey(node, cid), bytes);
        this.sql.exec("INSERT OR IGNORE INTO replicas (cid, size, stored_at) VALUES (?, ?, ?)", cid, bytes.length, Date.now());
        this.provide(node, cid);
        return { ok: true, created: true };
      } finally {
        this.inFlight--;
        this.reservedBytes -= bytes.length;
        this.writes.delete(cid);
      }
    })();
    this.writes.set(cid, write);
    return write;
  }

  /** The replica's bytes as stored in R2 (null when the object is gone), unverified. */
  async get(node: string, cid: string): Promise<NodeGetResult> {
    if (!this.has(cid)) return { ok: true, bytes: null };
    return this.io(async () => {
      const obj = await this.env.CHUNKS.get(replicaKey(node, cid));
      return { ok: true as const, bytes: obj ? new Uint8Array(await obj.arrayBuffer()) : null };
    });
  }

  /** PoSR: leaf `leafIndex` of this node's replica and its RFC 6962 audit path. */
  async challenge(node: string, cid: string, leafIndex: number): Promise<NodeChallengeResult> {
    if (!this.has(cid)) return { ok: false, code: "not_found" };
    return this.io(async (): Promise<NodeChallengeResult> => {
      const obj = await this.env.CHUNKS.get(replicaKey(node, cid));
      if (!obj) return { ok: false, code: "not_found" };
      const bytes = new Uint8Array(await obj.arrayBuffer());
      const leafCount = chunkLeaves(bytes).length;
      if (leafIndex >= leafCount) return { ok: false, code: "bad_index", leafCount };
      const { leaf, proof } = proveLeaf(bytes, leafIndex);
      return { ok: true, cid, leafIndex, leaf: toBase64(leaf), proof };
    });
  }

  /** Deletes a replica (a bad copy after repair); frees its capacity. Idempotent. */
  async remove(node: string, cid: string): Promise<void> {
    await this.env.CHUNKS.delete(replicaKey(node, cid));
    this.sql.exec("DELETE FROM replicas WHERE cid = ?", cid);
    this.sql.exec("DELETE FROM dht_provides WHERE cid = ?", cid);
  }

  async recordAudit(passed: boolean): Promise<void> {
    this.sql.exec(passed ? "UPDATE audit_score SET passed = passed + 1" : "UPDATE audit_score SET failed = failed + 1");
  }

  async stats(node: string): Promise<NodeStats> {
    const config = getConfig(this.env);
    const { n, used } = one(this.sql.exec<{ n: number; used: number }>("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS used FROM replicas"))!;
    const score = one(this.sql.exec<{ passed: number; failed: number }>("SELECT passed, failed FROM audit_score"))!;
    const total = score.passed + score.failed;
    const auditPassRate = total === 0 ? 1 : score.passed / total;
    const status = auditPassRate < 0.9 ? "degraded" : config.STORAGE_NODE_CAPACITY_BYTES - used < config.CHUNK_MAX_BYTES ? "full" : "active";
    const did = one(this.sql.exec<{ did: string }>("SELECT did FROM identity"))?.did;
    return { id: node, capacityBytes: config.STORAGE_NODE_CAPACITY_BYTES, usedBytes: used, chunks: n, status, auditPassRate, inFlight: this.inFlight, ...(did ? { did } : {}) };
  }

  // ---- DHT provider records (issue 6): published off the PUT path, by this node's alarm ----

  /** Queues a replica for publishing (synchronous) and makes sure the alarm will run. */
  private provide(node: string, cid: string): void {
    this.sql.exec("INSERT OR IGNORE INTO self_name (singleton, name) VALUES (1, ?)", node);
    this.sql.exec("INSERT OR IGNORE INTO dht_provides (cid, next_at) VALUES (?, 0)", cid);
    this.ctx.waitUntil(this.armDhtAlarm(nextPublishBoundary(Date.now())));
  }

  private async armDhtAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /**
   * Publishes (or republishes, every DHT_RECORD_TTL_MS / 2) a signed provider record for each
   * due replica that its ChunkIndex still calls healthy; a replica marked bad or gone is dropped
   * from the list, so its record is no longer refreshed and expires.
   */
  override async alarm(): Promise<void> {
    const name = one(this.sql.exec<{ name: string }>("SELECT name FROM self_name"))?.name;
    if (!name) return;
    const config = getConfig(this.env);
    const now = Date.now();
    const due = this.sql
      .exec<{ cid: string }>("SELECT cid FROM dht_provides WHERE next_at <= ? ORDER BY next_at LIMIT ?", now, PUBLISH_BATCH)
      .toArray()
      .map((r) => r.cid);
    if (due.length > 0) {
      const byShard = new Map<string, string[]>();
      for (const cid of due) {
        const shard = chunkIndexFor(cid, config.CHUNK_INDEX_SHARDS);
        byShard.set(shard, [...(byShard.get(shard) ?? []), cid]);
      }
      const statuses: Record<string, string | null> = {};
      for (const [shard, cids] of byShard) Object.assign(statuses, await this.env.CHUNK_INDEX.getByName(shard).replicaStatuses(cids, name));
      this.identity ??= await loadOrCreateIdentity(this.sql);
      const healthy = due.filter((cid) => statuses[cid] === "ok");
      const expiresAt = new Date(now + config.DHT_RECORD_TTL_MS).toISOString();
      const records = await Promise.all(healthy.map((cid) => signProviderRecord({ key: cid, provider: this.identity!.did, expiresAt }, this.identity!.privateKey)));
      let next = now + Math.max(1000, Math.floor(config.DHT_RECORD_TTL_MS / 2));
      try {
        await publishProviders(this.env, records);
      } catch (err) {
        console.error("dht publish failed; retrying", name, err);
        next = now + PUBLISH_RETRY_MS;
      }
      for (const cid of due) {
        if (statuses[cid] === "ok") this.sql.exec("UPDATE dht_provides SET next_at = ? WHERE cid = ?", next, cid);
        else if (statuses[cid] === "bad" || statuses[cid] === null) this.sql.exec("DELETE FROM dht_provides WHERE cid = ?", cid);
      }
    }
    const upcoming = one(this.sql.exec<{ at: number | null }>("SELECT MIN(next_at) AS at FROM dht_provides"))?.at;
    if (upcoming !== null && upcoming !== undefined) await this.ctx.storage.setAlarm(Math.max(upcoming, Date.now() + 50));
  }

  private has(cid: string): boolean {
    return one(this.sql.exec("SELECT 1 AS x FROM replicas WHERE cid = ?", cid)) !== undefined;
  }

  private usedBytes(): number {
    return one(this.sql.exec<{ used: number }>("SELECT COALESCE(SUM(size), 0) AS used FROM replicas"))!.used;
  }

  /** Runs one bounded I/O operation, or answers overloaded. */
  private async io<T>(fn: () => Promise<T>): Promise<T | { ok: false; code: "overloaded" }> {
    if (this.inFlight >= getConfig(this.env).STORAGE_NODE_MAX_INFLIGHT) return { ok: false, code: "overloaded" };
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
