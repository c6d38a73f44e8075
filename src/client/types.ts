// Types of the client SDK, inferred from the same zod schemas that validate the API
// (src/schemas/), imported as types only: the SDK carries no zod at run time.
//
// The DHT (§6) types below follow DESIGN §6 field by field until its schemas land in
// src/schemas/; then each interface becomes the z.infer of its schema, as ads and PoE are.
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
export type Campaign = z.infer<typeof api.CampaignView>;
export type CampaignList = z.infer<typeof api.CampaignList>;
export type AuctionRequest = z.input<typeof api.AuctionRequest>;
export type AuctionWin = z.infer<typeof api.AuctionResponse>;

// ---- Proof of Engagement (DESIGN §8) ----
export type Epoch = z.infer<typeof api.EpochView>;
export type EpochRewards = z.infer<typeof api.EpochRewards>;
