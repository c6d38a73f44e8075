// Which DO instance owns what. Routes never build DO names by hand.

/** EventShard instance for an event id (ids are uniform hashes, so the prefix spreads evenly). */
export function shardFor(eventId: string, shards: number): string {
  return `events-${parseInt(eventId.slice(0, 8), 16) % shards}`;
}

export const allEventShards = (shards: number): string[] => Array.from({ length: shards }, (_, i) => `events-${i}`);
