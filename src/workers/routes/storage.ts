// The distributed data store (DESIGN §5): chunk upload with request auth and quota, verified
// reads with Range and conditional requests, storage nodes, storage challenges and audits.
import { Hono } from "hono";
import type { Env } from "../../env";
import { getConfig } from "../../lib/config";
import { ApiError, problemBody } from "../../lib/errors";
import { allStorageNodes } from "../../lib/placement";
import { verifyRequestAuth } from "../../lib/request-auth";
import { ChunkCidParam, DidParam, NodeIdParam, StorageChallenge } from "../../schemas/api";
import { AUDITOR, chunkIndex, putChunk, readChunk, storageAccount, storageNode } from "../../storage/store";
import type { ChunkMeta } from "../../durable-objects/ChunkIndex";
import { parseJson, parseOr400, readBodyLimited, type AppContext } from "../http";
import { Lru } from "../../lib/lru";

export const storage = new Hono<{ Bindings: Env }>();

const IMMUTABLE = "public, max-age=31536000, immutable";
const RETRY_AFTER_S = 1;

const stored = (m: ChunkMeta) => ({ cid: m.cid, size: m.size, merkleRoot: m.merkleRoot, leafSize: m.leafSize, replicas: m.replicas });

storage.put("/chunks", async (c) => {
  const config = getConfig(c.env);
  const body = await readBodyLimited(c.req.raw, config.CHUNK_MAX_BYTES);
  const url = new URL(c.req.url);
  const auth = await verifyRequestAuth(c.req.header("authorization"), "PUT", url.pathname + url.search, body, Date.now(), config.CLOCK_SKEW_MS);
  if (!auth.ok) throw new ApiError(401, "unauthorized", auth.reason);
  if (body.length === 0) throw new ApiError(400, "validation_failed", "a chunk has at least 1 byte", { errors: [{ path: "(body)", message: "empty body" }] });
  const r = await putChunk(c.env, auth.did, body, auth.bodySha256);
  if (!r.ok) {
    if (r.code === "quota_exceeded") throw new ApiError(403, "quota_exceeded", `storage quota of ${r.quotaBytes} bytes would be exceeded (${r.usedBytes} in use or reserved, ${body.length} requested)`);
    if (r.code === "overloaded") throw new ApiError(503, "overloaded", "a storage node is at its in-flight I/O bound; retry later", { retryAfter: RETRY_AFTER_S });
    throw new ApiError(507, "insufficient_storage", "no storage node has room for this chunk");
  }
  if (r.created) c.executionCtx.waitUntil(c.env.STORAGE_AUDITOR.getByName(AUDITOR).start().catch(() => {}));
  return c.json(stored(r.meta), r.created ? 201 : 200);
});

async function metaOr404(c: AppContext): Promise<ChunkMeta> {
  const { cid } = parseOr400(ChunkCidParam, c.req.param(), "path");
  const meta = await chunkIndex(c.env, cid).get(cid);
  if (!meta) throw new ApiError(404, "not_found", `no chunk ${cid}`);
  return meta;
}

storage.get("/chunks/:cid/meta", async (c) => c.json(await metaOr404(c)));

/** One satisfiable byte range, "unsatisfiable", or null (no Range, or one we ignore as RFC 9110 allows). */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null; // malformed or multi-range: ignored
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return null; // invalid: ignored
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((t) => {
    const tag = t.trim().replace(/^W\//, "");
    return tag === "*" || tag === etag;
  });
}

/**
 * Chunk reads skip the ChunkIndex call for a chunk read within META_TTL_MS (per isolate). Safe
 * because what a stale entry can get wrong is only which replica to try first: a chunk is never
 * deleted, its size is fixed, and every replica's bytes are checked against the CID. A read
 * that finds a bad replica forgets the entry; one that finds no good replica asks the index again.
 */
const META_TTL_MS = 5000;
const metaCache = new Lru<string, { meta: ChunkMeta; at: number }>(10_000);

async function chunkMeta(c: AppContext): Promise<{ meta: ChunkMeta; cached: boolean }> {
  // Only validated CIDs are ever cached, so a hit on the raw parameter is a valid one.
  const hit = metaCache.get(c.req.param("cid") ?? "");
  if (hit && Date.now() - hit.at < META_TTL_MS) return { meta: hit.meta, cached: true };
  const meta = await metaOr404(c);
  metaCache.set(meta.cid, { meta, at: Date.now() });
  return { meta, cached: false };
}

storage.get("/chunks/:cid", async (c) => {
  let { meta, cached } = await chunkMeta(c);
  const etag = `"${meta.cid}"`;
  const base = { etag, "cache-control": IMMUTABLE, "accept-ranges": "bytes" };
  if (etagMatches(c.req.header("if-none-match"), etag)) return new Response(null, { status: 304, headers: base });
  const range = parseRange(c.req.header("range"), meta.size);
  if (range === "unsatisfiable") {
    const err = new ApiError(416, "range_not_satisfiable", `the chunk has ${meta.size} bytes`);
    return new Response(JSON.stringify(problemBody(err)), {
      status: 416,
      headers: { ...base, "content-type": "application/problem+json", "content-range": `bytes */${meta.size}` },
    });
  }
  const head = c.req.method === "HEAD";
  let bytes: Uint8Array | null = null;
  if (!head) {
    const read = (m: ChunkMeta) =>
      readChunk(c.env, m, (p) => {
        metaCache.delete(m.cid);
        c.executionCtx.waitUntil(p.catch(() => {}));
      });
    let r = await read(meta);
    if (!r.ok && cached) {
      metaCache.delete(meta.cid);
      ({ meta, cached } = await chunkMeta(c));
      r = await read(meta);
    }
    if (!r.ok) {
      if (r.code === "overloaded") throw new ApiError(503, "overloaded", "storage nodes are at their in-flight I/O bound; retry later", { retryAfter: RETRY_AFTER_S });
      throw new ApiError(503, "chunk_unavailable", "no replica of this chunk matches its CID right now; repair is pending", { retryAfter: 5 });
    }
    bytes = r.bytes;
  }
  const headers: Record<string, string> = { ...base, "content-type": "application/octet-stream" };
  if (range) {
    headers["content-range"] = `bytes ${range.start}-${range.end}/${meta.size}`;
    headers["content-length"] = String(range.end - range.start + 1);
    return new Response(bytes ? bytes.slice(range.start, range.end + 1) : null, { status: 206, headers });
  }
  headers["content-length"] = String(meta.size);
  return new Response(bytes, { status: 200, headers });
});

storage.get("/storage/nodes", async (c) => {
  const nodes = allStorageNodes(getConfig(c.env).STORAGE_NODES);
  const stats = await Promise.all(nodes.map((n) => storageNode(c.env, n).stats(n)));
  return c.json({ nodes: stats.map(({ inFlight: _, ...s }) => s) });
});

storage.post("/storage/nodes/:id/challenge", async (c) => {
  const { id } = parseOr400(NodeIdParam, c.req.param(), "path");
  if (!allStorageNodes(getConfig(c.env).STORAGE_NODES).includes(id)) throw new ApiError(404, "not_found", `no storage node ${id}`);
  const { cid, leafIndex } = parseOr400(StorageChallenge, parseJson(await readBodyLimited(c.req.raw, 1024)), "challenge");
  const r = await storageNode(c.env, id).challenge(id, cid, leafIndex);
  if (r.ok) return c.json({ cid: r.cid, leafIndex: r.leafIndex, leaf: r.leaf, proof: r.proof });
  if (r.code === "overloaded") throw new ApiError(503, "overloaded", `${id} is at its in-flight I/O bound; retry later`, { retryAfter: RETRY_AFTER_S });
  if (r.code === "bad_index") {
    throw new ApiError(400, "validation_failed", `leafIndex must be below ${r.leafCount}`, { errors: [{ path: "leafIndex", message: `out of range (${r.leafCount} leaves)` }] });
  }
  throw new ApiError(404, "not_found", `${id} holds no replica of ${cid}`);
});

storage.get("/storage/audits", async (c) => c.json({ rounds: await c.env.STORAGE_AUDITOR.getByName(AUDITOR).recent(20) }));

storage.get("/storage/usage/:did", async (c) => {
  const { did } = parseOr400(DidParam, c.req.param(), "path");
  const usage = await storageAccount(c.env, did).usage();
  return c.json({ did, ...usage, quotaBytes: getConfig(c.env).STORAGE_QUOTA_BYTES });
});
