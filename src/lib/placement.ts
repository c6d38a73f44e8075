// Where chunks live and which leaf an audit asks for: pure, deterministic functions.
import { sha256Sync } from "./hash";
import { toHex, utf8 } from "./encoding";

export const storageNodeName = (i: number): string => `node-${i}`;
export const allStorageNodes = (n: number): string[] => Array.from({ length: n }, (_, i) => storageNodeName(i));

/** Rendezvous (highest random weight) order: nodes by sha256(cid|node), highest first. */
export function rendezvousOrder(cid: string, nodes: readonly string[]): string[] {
  return nodes
    .map((node) => ({ node, w: toHex(sha256Sync(utf8(`${cid}|${node}`))) }))
    .sort((a, b) => (a.w < b.w ? 1 : a.w > b.w ? -1 : 0))
    .map((x) => x.node);
}

/** Audit challenge index bound to a beacon, a node and a chunk: uint32(sha256(beacon|node|cid)) mod leafCount. */
export function challengeIndex(beacon: string, node: string, cid: string, leafCount: number): number {
  const h = sha256Sync(utf8(`${beacon}|${node}|${cid}`));
  const u32 = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
  return u32 % Math.max(1, leafCount);
}

/** ChunkIndex instance owning a CID's metadata (CIDs are uniform hashes). */
export function chunkIndexFor(cid: string, shards: number): string {
  return `chunks-${parseInt(toHex(sha256Sync(utf8(cid))).slice(0, 8), 16) % shards}`;
}
export const allChunkIndexShards = (n: number): string[] => Array.from({ length: n }, (_, i) => `chunks-${i}`);

/** R2 key of one replica. */
export const replicaKey = (node: string, cid: string): string => `ssn/${node}/${cid}`;
