// Which DO instance owns what in Proof of Engagement.
import { sha256HexSync } from "../lib/hash";

export const POE_COORDINATOR = "poe";

/** Map shard index for an engager: engagements are partitioned by engager, so the
 * (engager, target, kind) dedup and each curator's weight are local to one shard. */
export const poeShardIndex = (engager: string, shards: number): number => parseInt(sha256HexSync(engager).slice(0, 8), 16) % shards;

export const poeShardName = (epoch: number, index: number): string => `poe-${epoch}-${index}`;
