// Shapes shared by the Campaign DO, the AdMarket shards and the block-effect delivery.
import type { BidModel } from "./auction";

export type CampaignStatus = "active" | "paused" | "exhausted" | "ended";

/** What an AdMarket shard indexes about a campaign (a read-optimized copy; the Campaign DO owns it). */
export interface MarketEntry {
  id: string;
  advertiser: string;
  createdSeq: number;
  model: BidModel;
  bid: string;
  targeting: { keywords?: string[]; tags?: string[]; langs?: string[] };
  creative: { title: string; text: string; url: string };
  frequencyCap?: number;
  endsAtMs?: number;
  status: CampaignStatus;
  impressions: number;
  clicks: number;
}

/** A budget slice leased to one shard: it may reserve up to `amount` for tokens issued before `issueUntil`. */
export interface LeaseGrant {
  id: string;
  amount: string;
  issueUntil: number;
}

export interface LeaseReply {
  lease: LeaseGrant | null;
  status: CampaignStatus;
  impressions: number;
  clicks: number;
}

/** A campaign-related block effect, in block order (idempotent by eventId). */
export type CampaignEffect =
  | { kind: "create"; eventId: string; seq: number; height: number; advertiser: string; body: Record<string, unknown> }
  | { kind: "update"; eventId: string; body: { status?: "active" | "paused" | "ended"; addBudget?: string } }
  | { kind: "settled"; eventId: string; key: string; close: boolean; ok: boolean };

export interface InteractionItem {
  auctionId: string;
  type: "impression" | "click";
  lease: string;
  price: string;
  model: BidModel;
  publisher: string;
  expiresAt: number;
}

export type ChargeOutcome = "charged" | "recorded" | "duplicate" | "void" | "needs_impression" | "unknown_campaign";

export const adMarketShard = (i: number) => `ads-${i}`;
export const allAdMarketShards = (n: number) => Array.from({ length: n }, (_, i) => adMarketShard(i));
export const AD_KEYRING = "keyring";
