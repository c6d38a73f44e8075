// The Sequencer's post-apply hook for Proof of Engagement: after block h commits (and before
// its statuses are final) its applied interactions go onto poe-engagement for their epoch's
// map shards, and the PoeCoordinator learns what the block means for epochs (engagement
// counts per shard, closes, applied payout batches, DIDs that may now hold reputation).
// Runs in height order; every part is idempotent (coordinator by height, shards by event id),
// so a retried delivery of h changes nothing.
import type { Env } from "../env";
import type { Block } from "../lib/blocks";
import { getConfig } from "../lib/config";
import type { AnySignedEvent } from "../schemas/events";
import { contentShardFor } from "../workers/shards";
import { QueueBatcher } from "../queues/batcher";
import type { PoeEngagementMessage } from "../queues/messages";
import type { EngagementKind } from "./model";
import { POE_COORDINATOR, poeShardIndex } from "./shards";

export interface AppliedRow {
  id: string;
  status: "applied" | "failed";
  envelope: string;
}

const batchers = new WeakMap<object, QueueBatcher<PoeEngagementMessage>>();
const batcherFor = (queue: Queue<PoeEngagementMessage>) => {
  let b = batchers.get(queue);
  if (!b) batchers.set(queue, (b = new QueueBatcher(queue)));
  return b;
};

export async function deliverEngagement(env: Env, h: number, block: Block, rows: AppliedRow[]): Promise<void> {
  const config = getConfig(env);
  const interactions: { id: string; kind: EngagementKind; engager: string; target: string }[] = [];
  const closes: number[] = [];
  const payouts: { epoch: number; batch: number }[] = [];
  const reputed = new Set<string>();
  for (const r of rows) {
    if (r.status !== "applied") continue;
    const event = JSON.parse(r.envelope) as AnySignedEvent;
    switch (event.kind) {
      case "interaction.like":
      case "interaction.share":
      case "interaction.view":
      case "interaction.comment":
        interactions.push({ id: r.id, kind: event.kind.slice("interaction.".length) as EngagementKind, engager: event.author, target: event.body.target });
        break;
      case "sys.poe.close":
        closes.push(event.body.epoch);
        break;
      case "sys.poe.payout":
        payouts.push({ epoch: event.body.epoch, batch: event.body.batch });
        for (const e of event.body.entries) if (e.gain > 0) reputed.add(e.did);
        break;
      case "sys.reputation":
        if (event.body.score > 0) reputed.add(event.body.did);
        break;
    }
  }
  if (interactions.length === 0 && closes.length === 0 && payouts.length === 0 && reputed.size === 0) return;

  // The creator of each target (witnesses checked it exists; it cannot vanish: deletes tombstone).
  const creators = new Map<string, string>();
  const byShard = new Map<string, string[]>();
  for (const i of interactions) {
    const s = contentShardFor(i.target, config.CONTENT_SHARDS);
    if (!byShard.has(s)) byShard.set(s, []);
    byShard.get(s)!.push(i.target);
  }
  await Promise.all(
    [...byShard].map(async ([s, ids]) => {
      const found = await env.CONTENT_SHARD.getByName(s).lookup([...new Set(ids)]);
      for (const [id, t] of Object.entries(found)) creators.set(id, t.author);
    }),
  );
  const engagements = interactions.filter((i) => creators.has(i.target));
  const counts = new Array<number>(config.POE_SHARDS).fill(0);
  for (const e of engagements) counts[poeShardIndex(e.engager, config.POE_SHARDS)]!++;

  const { epoch } = await env.POE_COORDINATOR.getByName(POE_COORDINATOR).recordBlock({
    height: h,
    createdAtMs: Date.parse(block.createdAt),
    counts,
    closes,
    payouts,
    reputed: [...reputed],
  });
  const batcher = batcherFor(env.POE_ENGAGEMENT);
  await Promise.all(engagements.map((e) => batcher.send({ id: e.id, epoch, kind: e.kind, engager: e.engager, target: e.target, creator: creators.get(e.target)! })));
}
