// ChunkIndex: the owner of chunk metadata for the CIDs of its shard (`chunks-0…`, by hash of
// CID). A chunk row is written once (the first commit wins, later commits read it back); only
// replica statuses change afterwards (bad on a failed read or audit, added or removed by
// repair). Every method is synchronous SQLite work: no read-modify-write spans an await.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { migrate, one } from "./sqlite";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE chunks (
     cid TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     merkle_root TEXT NOT NULL,
     leaf_size INTEGER NOT NULL,
     owner TEXT NOT NULL,
     stored_at TEXT NOT NULL,
     last_audit INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE replicas (
     cid TEXT NOT NULL,
     node TEXT NOT NULL,
     status TEXT NOT NULL,
     seq INTEGER NOT NULL,
     PRIMARY KEY (cid, node)
   );`,
];

export type ReplicaStatus = "ok" | "bad";
export interface ChunkMeta {
  cid: string;
  size: number;
  merkleRoot: string;
  leafSize: number;
  owner: string;
  storedAt: string;
  replicas: { node: string; status: ReplicaStatus }[];
}

export class ChunkIndex extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(this.sql, MIGRATIONS));
  }

  async get(cid: string): Promise<ChunkMeta | null> {
    return this.meta(cid);
  }

  /** The CIDs of `cids` that are not stored here. */
  async missing(cids: string[]): Promise<string[]> {
    return cids.filter((cid) => one(this.sql.exec("SELECT 1 AS x FROM chunks WHERE cid = ?", cid)) === undefined);
  }

  /** Records a chunk once (idempotent by CID): the first commit wins. */
  async commit(meta: Omit<ChunkMeta, "replicas"> & { replicas: string[] }): Promise<{ created: boolean; meta: ChunkMeta }> {
    const existing = this.meta(meta.cid);
    if (existing) return { created: false, meta: existing };
    this.sql.exec(
      "INSERT INTO chunks (cid, size, merkle_root, leaf_size, owner, stored_at) VALUES (?, ?, ?, ?, ?, ?)",
      meta.cid,
      meta.size,
      meta.merkleRoot,
      meta.leafSize,
      meta.owner,
      meta.storedAt,
    );
    meta.replicas.forEach((node, i) => this.sql.exec("INSERT INTO replicas (cid, node, status, seq) VALUES (?, ?, 'ok', ?)", meta.cid, node, i));
    return { created: true, meta: this.meta(meta.cid)! };
  }

  async markBad(cid: string, node: string): Promise<ChunkMeta | null> {
    this.sql.exec("UPDATE replicas SET status = 'bad' WHERE cid = ? AND node = ?", cid, node);
    return this.meta(cid);
  }

  /** Repair: a new healthy replica (idempotent). */
  async addReplica(cid: string, node: string): Promise<ChunkMeta | null> {
    if (!one(this.sql.exec("SELECT 1 AS x FROM chunks WHERE cid = ?", cid))) return null;
    const seq = one(this.sql.exec<{ s: number }>("SELECT COALESCE(MAX(seq), -1) + 1 AS s FROM replicas WHERE cid = ?", cid))!.s;
    this.sql.exec(
      "INSERT INTO replicas (cid, node, status, seq) VALUES (?, ?, 'ok', ?) ON CONFLICT (cid, node) DO UPDATE SET status = 'ok'",
      cid,
      node,
      seq,
    );
    return this.meta(cid);
  }

  /** Repair: forget a bad replica once enough healthy ones exist. Only bad rows are removed. */
  async removeBadReplica(cid: string, node: string): Promise<ChunkMeta | null> {
    this.sql.exec("DELETE FROM replicas WHERE cid = ? AND node = ? AND status = 'bad'", cid, node);
    return this.meta(cid);
  }

  /** Up to `limit` chunks, least recently audited first (ties at random); stamps them audited. */
  async auditCandidates(limit: number, now: number, only?: string[]): Promise<ChunkMeta[]> {
    const rows = only
      ? only.filter((cid) => one(this.sql.exec("SELECT 1 AS x FROM chunks WHERE cid = ?", cid)) !== undefined).slice(0, limit)
      : this.sql
          .exec<{ cid: string }>("SELECT cid FROM chunks ORDER BY last_audit ASC, random() LIMIT ?", limit)
          .toArray()
          .map((r) => r.cid);
    for (const cid of rows) this.sql.exec("UPDATE chunks SET last_audit = ? WHERE cid = ?", now, cid);
    return rows.map((cid) => this.meta(cid)!);
  }

  /** DHT publishing (issue 6): the status of `node`'s replica of each CID (null: none). */
  async replicaStatuses(cids: string[], node: string): Promise<Record<string, ReplicaStatus | null>> {
    const out: Record<string, ReplicaStatus | null> = {};
    for (const cid of cids) {
      out[cid] = one(this.sql.exec<{ status: ReplicaStatus }>("SELECT status FROM replicas WHERE cid = ? AND node = ?", cid, node))?.status ?? null;
    }
    return out;
  }

  async count(): Promise<number> {
    return one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM chunks"))!.n;
  }

  private meta(cid: string): ChunkMeta | null {
    const row = one(
      this.sql.exec<{ cid: string; size: number; merkle_root: string; leaf_size: number; owner: string; stored_at: string }>(
        "SELECT cid, size, merkle_root, leaf_size, owner, stored_at FROM chunks WHERE cid = ?",
        cid,
      ),
    );
    if (!row) return null;
    const replicas = this.sql
      .exec<{ node: string; status: ReplicaStatus }>("SELECT node, status FROM replicas WHERE cid = ? ORDER BY seq", cid)
      .toArray()
      .map((r) => ({ node: r.node, status: r.status }));
    return { cid: row.cid, size: row.size, merkleRoot: row.merkle_root, leafSize: row.leaf_size, owner: row.owner, storedAt: row.stored_at, replicas };
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
