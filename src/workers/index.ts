// Worker entry: the HTTP API, the queue consumers, and the Durable Object classes.
import type { Env } from "../env";
import { app } from "./app";
import { consumeWitnessInbox, consumeWitnessInboxDlq } from "../queues/witness-inbox";
import { consumeIndexUpdates } from "../queues/index-updates";

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
// Discovery DHT (DESIGN §6).
export { DhtNode } from "../durable-objects/DhtNode";

export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    switch (batch.queue) {
      case "witness-inbox":
        return consumeWitnessInbox(batch, env);
      case "witness-inbox-dlq":
        return consumeWitnessInboxDlq(batch, env);
      case "index-updates":
      case "index-updates-dlq":
        return consumeIndexUpdates(batch, env);
      default:
        console.error(`no consumer for queue ${batch.queue}; retrying`);
        batch.retryAll();
    }
  },
} satisfies ExportedHandler<Env>;
