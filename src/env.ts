// Bindings declared in wrangler.toml. [vars] are read through getConfig (src/lib/config.ts).
import type { EventShard } from "./durable-objects/EventShard";
import type { WitnessNode } from "./durable-objects/WitnessNode";
import type { FaultInjector } from "./durable-objects/FaultInjector";
import type { WitnessInboxMessage } from "./queues/messages";
import type { Sequencer } from "./durable-objects/Sequencer";
import type { AccountShard } from "./durable-objects/AccountShard";
import type { ContractInstance } from "./durable-objects/ContractInstance";
import type { SystemIssuer } from "./durable-objects/SystemIssuer";
import type { ContentShard } from "./durable-objects/ContentShard";
import type { IndexShard } from "./durable-objects/IndexShard";
import type { IndexUpdateMessage } from "./queues/messages";
import type { StorageNode } from "./durable-objects/StorageNode";
import type { ChunkIndex } from "./durable-objects/ChunkIndex";
import type { StorageAccount } from "./durable-objects/StorageAccount";
import type { StorageAuditor } from "./durable-objects/StorageAuditor";
import type { PoeShard } from "./durable-objects/PoeShard";
import type { PoeCoordinator } from "./durable-objects/PoeCoordinator";
import type { PoeBatchMessage, PoeEngagementMessage } from "./queues/messages";
import type { Campaign } from "./durable-objects/Campaign";
import type { AdMarket } from "./durable-objects/AdMarket";
import type { AdInteractionMessage } from "./queues/messages";
import type { DhtNode } from "./durable-objects/DhtNode";

export interface Env {
  EVENT_SHARD: DurableObjectNamespace<EventShard>;
  WITNESS_NODE: DurableObjectNamespace<WitnessNode>;
  FAULTS: DurableObjectNamespace<FaultInjector>;
  SEQUENCER: DurableObjectNamespace<Sequencer>;
  ACCOUNT_SHARD: DurableObjectNamespace<AccountShard>;
  CONTRACT_INSTANCE: DurableObjectNamespace<ContractInstance>;
  SYSTEM_ISSUER: DurableObjectNamespace<SystemIssuer>;
  CONTENT_SHARD: DurableObjectNamespace<ContentShard>;
  INDEX_SHARD: DurableObjectNamespace<IndexShard>;
  INDEX_UPDATES: Queue<IndexUpdateMessage>;
  // Storage (DESIGN §5).
  STORAGE_NODE: DurableObjectNamespace<StorageNode>;
  CHUNK_INDEX: DurableObjectNamespace<ChunkIndex>;
  STORAGE_ACCOUNT: DurableObjectNamespace<StorageAccount>;
  STORAGE_AUDITOR: DurableObjectNamespace<StorageAuditor>;
  // Proof of Engagement (DESIGN §8).
  POE_SHARD: DurableObjectNamespace<PoeShard>;
  POE_COORDINATOR: DurableObjectNamespace<PoeCoordinator>;
  POE_ENGAGEMENT: Queue<PoeEngagementMessage>;
  POE_BATCHES: Queue<PoeBatchMessage>;
  // Ads (DESIGN §7).
  CAMPAIGN: DurableObjectNamespace<Campaign>;
  AD_MARKET: DurableObjectNamespace<AdMarket>;
  AD_INTERACTIONS: Queue<AdInteractionMessage>;
  // Discovery DHT (DESIGN §6).
  DHT_NODE: DurableObjectNamespace<DhtNode>;
  WITNESS_INBOX: Queue<WitnessInboxMessage>;
  WITNESS_INBOX_DLQ: Queue<WitnessInboxMessage>;
  CHUNKS: R2Bucket;
  IP_WRITE_LIMITER: RateLimit;
  IP_READ_LIMITER: RateLimit;
  AUTHOR_LIMITER: RateLimit;
  ADMIN_TOKEN?: string;
  [key: string]: unknown;
}
