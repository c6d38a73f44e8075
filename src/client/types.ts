// Types of the client SDK, inferred from the same zod schemas that validate the API
// (src/schemas/), imported as types only: the SDK carries no zod at run time.
//
// DHT (§6), ads (§7) and Proof of Engagement (§8) have no schemas in src/schemas/ yet; their
// types below follow DESIGN §6–§8 field by field. When those schemas land, replace each
// interface by the z.infer of its schema.
import type { z } from "zod";
import type * as api from "../schemas/api";
import type * as ev from "../schemas/events";

export type EventStatus = z.infer<typeof api.EventStatus>;
export type FinalStatus = "applied" | "failed" | "rejected";
export const FINAL_STATUSES: readonly FinalStatus[] = ["applied", "failed", "rejected"];

export type Problem = z.infer<typeof api.Problem>;
export type SignedEvent = z.infer<typeof ev.Event>;
export type EventKind = SignedEvent["kind"];
export type EventAccepted = z.infer<typeof api.EventAccepted>;
export type EventRecord = z.infer<typeof api.EventRecord>;
export type Receipt = z.infer<typeof api.Receipt>;
export type WitnessList = z.infer<typeof api.WitnessList>;
export type Health = z.infer<typeof api.Health>;
export type NetworkStatus = z.infer<typeof api.NetworkStatus>;
export type Block = z.infer<typeof api.BlockView>;
export type Account = z.infer<typeof api.AccountView>;
export type Supply = z.infer<typeof api.SupplyView>;
export type ContractCatalog = z.infer<typeof api.ContractCatalog>;
export type ContractInstance = z.infer<typeof api.ContractInstanceView>;
export type Content = z.infer<typeof api.ContentView>;
export type CommentList = z.infer<typeof api.CommentList>;
export type ContentList = z.infer<typeof api.ContentList>;
export type SearchResults = z.infer<typeof api.SearchResults>;
export type ChunkStored = z.infer<typeof api.ChunkStored>;
export type ChunkMeta = z.infer<typeof api.ChunkMetaView>;
export type StorageNodeList = z.infer<typeof api.StorageNodeList>;
export type StorageProof = z.infer<typeof api.StorageProof>;
export type AuditRoundList = z.infer<typeof api.AuditRoundList>;
export type StorageUsage = z.infer<typeof api.StorageUsage>;

/** Event bodies as a client writes them (input side of the schemas). */
export type PostBody = z.input<typeof ev.ContentPostBody>;
export type TransferBody = z.input<typeof ev.LedgerTransferBody>;
export type CampaignCreateBody = z.input<typeof ev.CampaignCreateBody>;
export type CampaignUpdateBody = z.input<typeof ev.CampaignUpdateBody>;
export type ContractCallBody = z.input<typeof ev.ContractCallBody>;
export type BodyOf<K extends EventKind> = Extract<SignedEvent, { kind: K }>["body"];

export interface Page {
  limit?: number;
  cursor?: string;
}
export interface SearchOptions extends Page {
  author?: string;
  tag?: string;
}

// ---- DHT (DESIGN §6) ----
export interface DhtContact {
  id: string;
  addr?: string;
}
export interface DhtNodeList {
  nodes: { id: string; did: string; buckets: number; records: number }[];
}
export interface DhtLookup {
  target: string;
  nodes: DhtContact[];
  hops: number;
  queried: number;
}
export interface DhtProviderRecord {
  key: string;
  provider: string;
  addr?: string;
  expiresAt: string;
  sig: string;
}
export interface DhtProviders {
  key: string;
  providers: DhtProviderRecord[];
  hops: number;
}
export interface DhtRpc {
  op: "PING" | "FIND_NODE" | "FIND_VALUE" | "STORE";
  from: DhtContact;
  target?: string;
  key?: string;
  record?: DhtProviderRecord;
}

// ---- Ads (DESIGN §7) ----
export interface Campaign {
  id: string;
  advertiser: string;
  status: "active" | "paused" | "exhausted" | "ended";
  bid: { model: "cpm" | "cpc"; amount: string };
  budget: string;
  dailyBudget?: string | null;
  spent: string;
  reserved: string;
  remaining: string;
  impressions: number;
  clicks: number;
  ctr: number;
}
export interface CampaignList {
  campaigns: Campaign[];
  nextCursor?: string;
}
export interface AuctionRequest {
  placement: string;
  publisher: string;
  context?: { keywords?: string[]; tags?: string[]; lang?: string };
  viewer?: string;
  floor?: string;
}
export interface AuctionWin {
  auctionId: string;
  campaignId: string;
  creative: { title: string; text: string; url: string };
  model: "cpm" | "cpc";
  price: string;
  token: string;
  expiresAt: string;
}

// ---- Proof of Engagement (DESIGN §8) ----
export interface Epoch {
  epoch: number;
  status: "open" | "closing" | "distributed";
  startsAt: string;
  endsAt: string;
  pool: string;
  emission: string;
  adRevenue: string;
  totalScore: number | string;
  recipients: number;
}
export interface EpochRewards {
  epoch: number;
  did: string;
  creator: string;
  curator: string;
  total: string;
}
