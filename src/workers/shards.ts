// Which DO instance owns what. Routes never build DO names by hand.
import { sha256HexSync } from "../lib/hash";

/** EventShard instance for an event id (ids are uniform hashes, so the prefix spreads evenly). */
export function shardFor(eventId: string, shards: number): string {
  return `events-${parseInt(eventId.slice(0, 8), 16) % shards}`;
}

export const allEventShards = (shards: number): string[] => Array.from({ length: shards }, (_, i) => `events-${i}`);

/** AccountShard instance for a DID: by hash of the DID (DESIGN §4). */
export function accountShardFor(did: string, shards: number): string {
  return `accounts-${parseInt(sha256HexSync(did).slice(0, 8), 16) % shards}`;
}

export const allAccountShards = (shards: number): string[] => Array.from({ length: shards }, (_, i) => `accounts-${i}`);

export const SEQUENCER = "sequencer";
export const SYSTEM_ISSUER = "system";

/** ContentShard instance for a content id. */
export function contentShardFor(contentId: string, shards: number): string {
  return `content-${parseInt(contentId.slice(0, 8), 16) % shards}`;
}
export const allContentShards = (shards: number): string[] => Array.from({ length: shards }, (_, i) => `content-${i}`);

/** IndexShard instance for a content id (document partitioning). */
export function indexShardFor(contentId: string, shards: number): string {
  return `index-${parseInt(contentId.slice(8, 16), 16) % shards}`;
}
const indexShardNames = new Map<number, string[]>();
/** Every IndexShard name (one array per shard count, reused: the search route asks on every request). */
export const allIndexShards = (shards: number): readonly string[] => {
  let names = indexShardNames.get(shards);
  if (!names) indexShardNames.set(shards, (names = Array.from({ length: shards }, (_, i) => `index-${i}`)));
  return names;
};
