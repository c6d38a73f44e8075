// index-updates consumer: applied posts and deletes, in batches, into the IndexShard that owns
// each content id (one apply() call per shard per batch). IndexShard.apply is idempotent, so
// redelivery and replays change nothing. The dead-letter consumer applies what lands there
// the same way, so an update is late at worst, never lost.
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import { indexShardFor } from "../workers/shards";
import { IndexUpdateMessage } from "./messages";

export async function consumeIndexUpdates(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const shards = getConfig(env).INDEX_SHARDS;
  const byShard = new Map<string, { updates: IndexUpdateMessage[]; messages: Message<unknown>[] }>();
  for (const m of batch.messages) {
    const parsed = IndexUpdateMessage.safeParse(m.body);
    if (!parsed.success) {
      console.error("index-updates: malformed message dropped", m.id);
      m.ack();
      continue;
    }
    const shard = indexShardFor(parsed.data.id, shards);
    if (!byShard.has(shard)) byShard.set(shard, { updates: [], messages: [] });
    byShard.get(shard)!.updates.push(parsed.data);
    byShard.get(shard)!.messages.push(m);
  }
  await Promise.all(
    [...byShard].map(async ([shard, { updates, messages }]) => {
      try {
        await env.INDEX_SHARD.getByName(shard).apply(updates);
        for (const m of messages) m.ack();
      } catch (err) {
        console.warn(`index shard ${shard} failed a batch; retrying`, String(err));
        for (const m of messages) m.retry();
      }
    }),
  );
}
