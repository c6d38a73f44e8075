// The data store's coordination logic (DESIGN §5), shared by the HTTP routes and the auditor.
// It never holds state across awaits: each step is one RPC to the DO that owns the state
// (StorageAccount for quota, StorageNode for bytes and capacity, ChunkIndex for metadata).
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import { cidForBytes, cidForDigest } from "../lib/cid";
import { fromBase64 } from "../lib/encoding";
import { LEAF_SIZE, leafCountFor, merkleRootHexAsync, verifyProof } from "../lib/merkle";
import { allStorageNodes, challengeIndex, chunkIndexFor, rendezvousOrder } from "../lib/placement";
import type { ChunkMeta } from "../durable-objects/ChunkIndex";

export const chunkIndex = (env: Env, cid: string) => env.CHUNK_INDEX.getByName(chunkIndexFor(cid, getConfig(env).CHUNK_INDEX_SHARDS));
export const storageNode = (env: Env, node: string) => env.STORAGE_NODE.getByName(node);
export const storageAccount = (env: Env, did: string) => env.STORAGE_ACCOUNT.getByName(did);
export const AUDITOR = "auditor";

export type PutOutcome =
  | { ok: true; created: boolean; meta: ChunkMeta }
  | { ok: false; code: "quota_exceeded"; usedBytes: number; quotaBytes: number }
  | { ok: false; code: "overloaded" }
  | { ok: false; code: "insufficient_storage" };

/**
 * Stores a chunk for `owner`: reserve quota → (already indexed? done) → write replicas on the
 * first REPLICATION_FACTOR nodes of the rendezvous order that have room → commit the index →
 * commit the quota. Any failure releases the reservation; a vanished request's reservation
 * expires (lease).
 */
export async function putChunk(env: Env, owner: string, bytes: Uint8Array, bytesSha256?: Uint8Array): Promise<PutOutcome> {
  const config = getConfig(env);
  // The request-auth check already hashed the body: its digest is the CID's.
  const cid = bytesSha256 ? cidForDigest(bytesSha256) : await cidForBytes(bytes);
  const account = storageAccount(env, owner);
  const reserved = await account.reserve(cid, bytes.length, config.STORAGE_QUOTA_BYTES);
  if (!reserved.ok) return { ok: false, code: "quota_exceeded", usedBytes: reserved.usedBytes, quotaBytes: reserved.quotaBytes };
  let committed = false;
  try {
    const index = chunkIndex(env, cid);
    const existing = await index.get(cid);
    if (existing) {
      await account.commit(cid);
      committed = true;
      return { ok: true, created: false, meta: existing };
    }
    const order = rendezvousOrder(cid, allStorageNodes(config.STORAGE_NODES));
    const want = Math.min(config.REPLICATION_FACTOR, order.length);
    const placed: string[] = [];
    let next = 0;
    while (placed.length < want && next < order.length) {
      const batch = order.slice(next, next + (want - placed.length));
      next += batch.length;
      const results = await Promise.all(batch.map((node) => storageNode(env, node).put(node, cid, bytes)));
      // Overload is transient: answer 503 rather than let placement depend on momentary load
      // (replicas already written stay and are reused by the retry: puts are idempotent).
      if (results.some((r) => !r.ok && r.code === "overloaded")) return { ok: false, code: "overloaded" };
      results.forEach((r, i) => r.ok && placed.push(batch[i]!));
    }
    if (placed.length === 0) return { ok: false, code: "insufficient_storage" };
    const { created, meta } = await index.commit({
      cid,
      size: bytes.length,
      merkleRoot: await merkleRootHexAsync(bytes),
      leafSize: LEAF_SIZE,
      owner,
      storedAt: new Date().toISOString(),
      replicas: placed,
    });
    await account.commit(cid);
    committed = true;
    return { ok: true, created, meta };
  } finally {
    if (!committed) await account.release(cid).catch(() => {});
  }
}

export type ReadOutcome = { ok: true; bytes: Uint8Array; node: string } | { ok: false; code: "overloaded" | "unavailable" };

/**
 * The chunk's bytes from the first replica whose whole content matches the CID; replicas
 * that are missing or do not match are flagged bad (through `defer`, off the response path).
 */
export async function readChunk(env: Env, meta: ChunkMeta, defer: (p: Promise<unknown>) => void): Promise<ReadOutcome> {
  let overloaded = false;
  const ordered = [...meta.replicas.filter((r) => r.status === "ok"), ...meta.replicas.filter((r) => r.status !== "ok")];
  for (const { node, status } of ordered) {
    const r = await storageNode(env, node).get(node, meta.cid);
    if (!r.ok) {
      overloaded = true;
      continue;
    }
    if (r.bytes && r.bytes.length === meta.size && (await cidForBytes(r.bytes)) === meta.cid) return { ok: true, bytes: r.bytes, node };
    if (status === "ok") defer(chunkIndex(env, meta.cid).markBad(meta.cid, node));
  }
  return { ok: false, code: overloaded ? "overloaded" : "unavailable" };
}

export interface AuditResult {
  cid: string;
  node: string;
  leafIndex: number;
  ok: boolean;
  reason?: string;
}
export interface RepairResult {
  cid: string;
  from: string;
  to: string;
}

/** Challenges every healthy replica of `meta` at beacon-derived indices; records outcomes. */
export async function auditChunk(env: Env, meta: ChunkMeta, beacon: string): Promise<AuditResult[]> {
  const leafCount = leafCountFor(meta.size, meta.leafSize);
  const index = chunkIndex(env, meta.cid);
  return Promise.all(
    meta.replicas
      .filter((r) => r.status === "ok")
      .map(async ({ node }): Promise<AuditResult> => {
        const leafIndex = challengeIndex(beacon, node, meta.cid, leafCount);
        const sn = storageNode(env, node);
        const r = await sn.challenge(node, meta.cid, leafIndex);
        if (!r.ok && r.code === "overloaded") return { cid: meta.cid, node, leafIndex, ok: true, reason: "skipped_overloaded" };
        let reason: string | undefined;
        if (!r.ok) reason = r.code === "not_found" ? "missing_replica" : "bad_index";
        else if (r.leafIndex !== leafIndex || !verifyProof(meta.merkleRoot, leafIndex, leafCount, safeBase64(r.leaf), r.proof)) reason = "invalid_proof";
        await sn.recordAudit(reason === undefined);
        if (reason !== undefined) await index.markBad(meta.cid, node);
        return reason === undefined ? { cid: meta.cid, node, leafIndex, ok: true } : { cid: meta.cid, node, leafIndex, ok: false, reason };
      }),
  );
}

const safeBase64 = (s: string): Uint8Array => {
  try {
    return fromBase64(s);
  } catch {
    return new Uint8Array();
  }
};

/**
 * Brings a chunk back to REPLICATION_FACTOR healthy replicas: copies verified bytes from a
 * healthy replica to the next nodes of the rendezvous order (those without a replica and
 * with room), then deletes the bad copies once enough healthy ones exist.
 */
export async function repairChunk(env: Env, cid: string): Promise<RepairResult[]> {
  const config = getConfig(env);
  const index = chunkIndex(env, cid);
  let meta = await index.get(cid);
  if (!meta) return [];
  const healthy = () => meta!.replicas.filter((r) => r.status === "ok").length;
  const want = Math.min(config.REPLICATION_FACTOR, config.STORAGE_NODES);
  const repairs: RepairResult[] = [];
  if (healthy() < want) {
    const source = await readChunk(env, meta, (p) => void p);
    if (!source.ok) return [];
    meta = (await index.get(cid))!; // readChunk may have flagged more replicas bad
    const holders = new Set(meta.replicas.map((r) => r.node));
    for (const node of rendezvousOrder(cid, allStorageNodes(config.STORAGE_NODES))) {
      if (healthy() >= want) break;
      if (holders.has(node)) continue;
      const put = await storageNode(env, node).put(node, cid, source.bytes);
      if (!put.ok) continue;
      meta = (await index.addReplica(cid, node)) ?? meta;
      repairs.push({ cid, from: source.node, to: node });
    }
  }
  if (healthy() >= want) {
    for (const bad of meta.replicas.filter((r) => r.status === "bad")) {
      await storageNode(env, bad.node).remove(bad.node, cid);
      meta = (await index.removeBadReplica(cid, bad.node)) ?? meta;
    }
  }
  return repairs;
}

/** Which CIDs of a post are not stored: one RPC per index shard involved. */
export async function missingChunks(env: Env, cids: string[]): Promise<string[]> {
  const shards = getConfig(env).CHUNK_INDEX_SHARDS;
  const byShard = new Map<string, string[]>();
  for (const cid of new Set(cids)) {
    const s = chunkIndexFor(cid, shards);
    byShard.set(s, [...(byShard.get(s) ?? []), cid]);
  }
  const missing = await Promise.all([...byShard].map(([s, list]) => env.CHUNK_INDEX.getByName(s).missing(list)));
  return missing.flat();
}
