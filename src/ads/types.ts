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

/**
 * The shard index that owns a viewer's frequency caps: FNV-1a (32-bit) over the viewer
 * string's UTF-16 code units. Any stable spread works here; this one costs well under a
 * microsecond, where the pure-JS sha256 it replaced was one of the auction route's larger items.
 */
export function viewerShard(viewer: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < viewer.length; i++) h = Math.imul(h ^ viewer.charCodeAt(i), 0x01000193);
  return (h >>> 0) % shards;
}
export const allAdMarketShards = (n: number) => Array.from({ length: n }, (_, i) => adMarketShard(i));
export const AD_KEYRING = "keyring";
