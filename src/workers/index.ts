// Worker entry: the HTTP API, the queue consumers, and the Durable Object classes.
import type { Env } from "../env";
import { app } from "./app";
import { consumeWitnessInbox, consumeWitnessInboxDlq } from "../queues/witness-inbox";
import { consumeIndexUpdates } from "../queues/index-updates";
import { consumePoeBatches, consumePoeEngagement } from "../queues/poe";
import { consumeAdInteractions } from "../queues/ad-interactions";
import { withQueueFaults } from "../queues/faults";

export { EventShard } from "../durable-objects/EventShard";
export { WitnessNode } from "../durable-objects/WitnessNode";
export { FaultInjector } from "../durable-objects/FaultInjector";
export { Sequencer } from "../durable-objects/Sequencer";
export { AccountShard } from "../durable-objects/AccountShard";
export { ContractInstance } from "../durable-objects/ContractInstance";
export { SystemIssuer } from "../durable-objects/SystemIssuer";
export { ContentShard } from "../durable-objects/ContentShard";
export { IndexShard } from "../durable-objects/IndexShard";
// Storage (DESIGN §5).
export { StorageNode } from "../durable-objects/StorageNode";
export { ChunkIndex } from "../durable-objects/ChunkIndex";
export { StorageAccount } from "../durable-objects/StorageAccount";
export { StorageAuditor } from "../durable-objects/StorageAuditor";
// Proof of Engagement (DESIGN §8).
export { PoeShard } from "../durable-objects/PoeShard";
export { PoeCoordinator } from "../durable-objects/PoeCoordinator";
// Ads (DESIGN §7).
export { Campaign } from "../durable-objects/Campaign";
export { AdMarket } from "../durable-objects/AdMarket";
// Discovery DHT (DESIGN §6).
export { DhtNode } from "../durable-objects/DhtNode";

export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    switch (batch.queue) {
      case "witness-inbox":
        return withQueueFaults(batch, env, consumeWitnessInbox);
      case "witness-inbox-dlq":
        return consumeWitnessInboxDlq(batch, env);
      case "index-updates":
        return withQueueFaults(batch, env, consumeIndexUpdates);
      case "index-updates-dlq":
        return consumeIndexUpdates(batch, env);
      case "poe-engagement":
        return withQueueFaults(batch, env, consumePoeEngagement);
      case "poe-engagement-dlq":
        return consumePoeEngagement(batch, env);
      case "poe-batches":
        return withQueueFaults(batch, env, consumePoeBatches);
      case "poe-batches-dlq":
        return consumePoeBatches(batch, env);
      case "ad-interactions":
        return withQueueFaults(batch, env, (b, e) => consumeAdInteractions(b, e, false));
      case "ad-interactions-dlq":
        return consumeAdInteractions(batch, env, true);
      default:
        console.error(`no consumer for queue ${batch.queue}; retrying`);
        batch.retryAll();
    }
  },
} satisfies ExportedHandler<Env>;
