// poe-engagement consumer: applied interactions, in batches, into their epoch's map shard
// (one ingest() call per shard per batch). PoeShard.ingest is idempotent by event id, so
// redelivery and replays change nothing. The dead-letter consumer does the same: late at
// worst, never lost (the epoch's reduce waits for the count).
//
// poe-batches consumer: each message is one payout batch, issued as a sys.poe.payout event
// through the SystemIssuer, idempotent by its key (epoch, batch). Dead letters likewise.
import type { Env } from "../env";
import { faultsEnabled, getConfig } from "../lib/config";
import { SYSTEM_ISSUER } from "../workers/shards";
import { poeShardIndex, poeShardName } from "../poe/shards";
import { PoeBatchMessage, PoeEngagementMessage } from "./messages";

/** Fault injection: re-send a share of processed messages, so the effect sees a redelivery. */
async function redeliverShare<T extends { replay?: boolean }>(env: Env, queue: Queue<T>, bodies: T[]): Promise<void> {
  if (!faultsEnabled(getConfig(env))) return;
  const rate = (await env.FAULTS.getByName("faults").get()).poeRedeliverRate ?? 0;
  const again = bodies.filter((b) => !b.replay && rate > 0 && Math.random() < rate).map((b) => ({ body: { ...b, replay: true } }));
  for (let i = 0; i < again.length; i += 20) await queue.sendBatch(again.slice(i, i + 20));
}

export async function consumePoeEngagement(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const shards = getConfig(env).POE_SHARDS;
  const done: PoeEngagementMessage[] = [];
  const groups = new Map<string, { rows: PoeEngagementMessage[]; messages: Message<unknown>[] }>();
  for (const m of batch.messages) {
    const parsed = PoeEngagementMessage.safeParse(m.body);
    if (!parsed.success) {
      console.error("poe-engagement: malformed message dropped", m.id);
      m.ack();
      continue;
    }
    const name = poeShardName(parsed.data.epoch, poeShardIndex(parsed.data.engager, shards));
    if (!groups.has(name)) groups.set(name, { rows: [], messages: [] });
    groups.get(name)!.rows.push(parsed.data);
    groups.get(name)!.messages.push(m);
  }
  await Promise.all(
    [...groups].map(async ([name, { rows, messages }]) => {
      try {
        await env.POE_SHARD.getByName(name).ingest(rows.map(({ id, kind, engager, target, creator }) => ({ id, kind, engager, target, creator })));
        for (const m of messages) m.ack();
        done.push(...rows);
      } catch (err) {
        console.warn(`poe shard ${name} failed a batch; retrying`, String(err));
        for (const m of messages) m.retry();
      }
    }),
  );
  await redeliverShare(env, env.POE_ENGAGEMENT, done).catch((err) => console.warn("poe-engagement: injected redelivery failed", String(err)));
}

export async function consumePoeBatches(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const issuer = env.SYSTEM_ISSUER.getByName(SYSTEM_ISSUER);
  const done: PoeBatchMessage[] = [];
  await Promise.all(
    batch.messages.map(async (m) => {
      const parsed = PoeBatchMessage.safeParse(m.body);
      if (!parsed.success || typeof parsed.data.body.key !== "string") {
        console.error("poe-batches: malformed message dropped", m.id);
        m.ack();
        return;
      }
      try {
        await issuer.issue("sys.poe.payout", parsed.data.body as Record<string, unknown> & { key: string });
        m.ack();
        done.push(parsed.data);
      } catch (err) {
        console.warn(`poe payout ${parsed.data.epoch}/${parsed.data.batch} not issued; retrying`, String(err));
        m.retry();
      }
    }),
  );
  await redeliverShare(env, env.POE_BATCHES, done).catch((err) => console.warn("poe-batches: injected redelivery failed", String(err)));
}
