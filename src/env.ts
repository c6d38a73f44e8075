// Bindings declared in wrangler.toml. [vars] are read through getConfig (src/lib/config.ts).
import type { EventShard } from "./durable-objects/EventShard";
import type { WitnessNode } from "./durable-objects/WitnessNode";
import type { FaultInjector } from "./durable-objects/FaultInjector";
import type { WitnessInboxMessage } from "./queues/messages";

export interface Env {
  EVENT_SHARD: DurableObjectNamespace<EventShard>;
  WITNESS_NODE: DurableObjectNamespace<WitnessNode>;
  FAULTS: DurableObjectNamespace<FaultInjector>;
  WITNESS_INBOX: Queue<WitnessInboxMessage>;
  WITNESS_INBOX_DLQ: Queue<WitnessInboxMessage>;
  CHUNKS: R2Bucket;
  IP_WRITE_LIMITER: RateLimit;
  IP_READ_LIMITER: RateLimit;
  AUTHOR_LIMITER: RateLimit;
  ADMIN_TOKEN?: string;
  [key: string]: unknown;
}
