// Post-apply effects of a committed block on the ad marketplace (called by the Sequencer after
// block h commits and before its statuses are final): each Campaign DO applies its events in
// block order (idempotent by event id), then every AdMarket shard indexes the changes with
// its fresh budget slice — so a campaign is visible to auctions by the time its event reports
// `applied`. A failure re-runs the whole step for h; every part of it is idempotent.
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import type { AnySignedEvent } from "../schemas/events";
import { allAdMarketShards, type CampaignEffect, type LeaseGrant, type MarketEntry } from "./types";

export interface DeliveredRow {
  id: string;
  seq: number;
  status: "applied" | "failed";
  envelope: string;
}

export async function deliverCampaignEffects(env: Env, h: number, rows: readonly DeliveredRow[]): Promise<void> {
  const byCampaign = new Map<string, CampaignEffect[]>();
  const add = (campaign: string, e: CampaignEffect) => {
    if (!byCampaign.has(campaign)) byCampaign.set(campaign, []);
    byCampaign.get(campaign)!.push(e);
  };
  for (const r of rows) {
    if (!r.envelope.includes('"campaign.') && !r.envelope.includes('"sys.ads.settle"')) continue; // cheap pre-filter
    const event = JSON.parse(r.envelope) as AnySignedEvent;
    if (event.kind === "campaign.create" && r.status === "applied") {
      add(r.id, { kind: "create", eventId: r.id, seq: r.seq, height: h, advertiser: event.author, body: event.body });
    } else if (event.kind === "campaign.update" && r.status === "applied") {
      add(event.body.campaign, { kind: "update", eventId: r.id, body: { status: event.body.status, addBudget: event.body.addBudget } });
    } else if (event.kind === "sys.ads.settle") {
      add(event.body.campaign, { kind: "settled", eventId: r.id, key: event.body.key, close: event.body.close === true, ok: r.status === "applied" });
    }
  }
  if (byCampaign.size === 0) return;
  const shards = allAdMarketShards(getConfig(env).AD_MARKET_SHARDS);
  const results = await Promise.all([...byCampaign].map(([id, effects]) => env.CAMPAIGN.getByName(id).applyEffects(effects, shards)));
  const perShard = new Map<string, { entry: MarketEntry; lease?: LeaseGrant }[]>(shards.map((s) => [s, []]));
  for (const r of results) {
    if (!r) continue;
    for (const s of shards) perShard.get(s)!.push(r.leases[s] ? { entry: r.entry, lease: r.leases[s] } : { entry: r.entry });
  }
  await Promise.all([...perShard].map(([s, items]) => (items.length > 0 ? env.AD_MARKET.getByName(s).upsert(items) : Promise.resolve())));
}
