// ad-interactions consumer: verified impressions and clicks, in batches, to the Campaign DO
// that owns each (one charge() call per campaign per batch, impressions before clicks). The
// Campaign DO records every (auctionId, type) once, so redeliveries and replays charge nothing
// twice. A click whose impression has not arrived yet is retried; in the dead-letter consumer
// it is resolved for good: a click without an impression is never charged (logged, acked).
import type { Env } from "../env";
import type { InteractionItem } from "../ads/types";
import { AdInteractionMessage } from "./messages";

const CLICK_RETRY_S = 1;

export async function consumeAdInteractions(batch: MessageBatch<unknown>, env: Env, deadLetter: boolean): Promise<void> {
  const byCampaign = new Map<string, { item: InteractionItem; m: Message<unknown> }[]>();
  for (const m of batch.messages) {
    const parsed = AdInteractionMessage.safeParse(m.body);
    if (!parsed.success) {
      console.error("ad-interactions: malformed message dropped", m.id);
      m.ack();
      continue;
    }
    const d = parsed.data;
    if (!byCampaign.has(d.campaign)) byCampaign.set(d.campaign, []);
    byCampaign.get(d.campaign)!.push({
      item: { auctionId: d.auctionId, type: d.type, lease: d.lease, price: d.price, model: d.model, publisher: d.publisher, expiresAt: d.expiresAt },
      m,
    });
  }
  await Promise.all(
    [...byCampaign].map(async ([campaign, entries]) => {
      entries.sort((a, b) => (a.item.type === b.item.type ? 0 : a.item.type === "impression" ? -1 : 1));
      try {
        const outcomes = await env.CAMPAIGN.getByName(campaign).charge(entries.map((e) => e.item));
        outcomes.forEach((o, i) => {
          const { m, item } = entries[i]!;
          if (o === "needs_impression" && !deadLetter) m.retry({ delaySeconds: CLICK_RETRY_S });
          else {
            if (o === "needs_impression") console.warn(`ad-interactions-dlq: click ${item.auctionId} never had an impression; not charged`);
            if (o === "unknown_campaign") console.error(`ad-interactions: unknown campaign ${campaign}; dropped`);
            m.ack();
          }
        });
      } catch (err) {
        console.warn(`campaign ${campaign} failed a batch; retrying`, String(err));
        for (const e of entries) e.m.retry();
      }
    }),
  );
}
