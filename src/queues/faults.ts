// Queue fault injection (ECHONET_FAULTS=1): every primary queue's consumer runs through
// `withQueueFaults`, which can fail a share of deliveries (retry(): redelivered later, and
// after max_retries they reach the dead-letter queue) and deliver a share twice (a
// duplicate run whose ack/retry are ignored, before the real one) — the at-least-once
// behaviour every consumer must already tolerate. Dead-letter consumers are never faulted:
// they are the last resort, and a dead letter's dead letter does not exist. New queues
// (ad-interactions, poe-engagement) get faults by being dispatched through this wrapper.
import type { Env } from "../env";
import { faultsEnabled, getConfig } from "../lib/config";
import type { FaultSettings } from "../schemas/api";

export type Consumer = (batch: MessageBatch<unknown>, env: Env) => Promise<void>;

export async function readFaults(env: Env): Promise<FaultSettings> {
  return faultsEnabled(getConfig(env)) ? env.FAULTS.getByName("faults").get() : {};
}

/** Whether the generic queue faults apply to this queue. */
export const faultsApply = (faults: FaultSettings, queue: string): boolean =>
  !queue.endsWith("-dlq") && (faults.queues === undefined || faults.queues.includes(queue));

/** A view of some messages as a batch; `detached` ignores ack/retry (an injected duplicate). */
function view(batch: MessageBatch<unknown>, messages: Message<unknown>[], detached: boolean): MessageBatch<unknown> {
  const ms = detached
    ? messages.map((m) => ({ id: m.id, timestamp: m.timestamp, body: m.body, attempts: m.attempts, ack() {}, retry() {} }) as Message<unknown>)
    : messages;
  return {
    queue: batch.queue,
    metadata: batch.metadata,
    messages: ms,
    ackAll: () => ms.forEach((m) => m.ack()),
    retryAll: (o?: QueueRetryOptions) => ms.forEach((m) => m.retry(o)),
  } as MessageBatch<unknown>;
}

export async function withQueueFaults(batch: MessageBatch<unknown>, env: Env, consume: Consumer, rand: () => number = Math.random): Promise<void> {
  const faults = await readFaults(env);
  const fail = faults.queueFailRate ?? 0;
  const dup = faults.queueDuplicateRate ?? 0;
  if ((fail === 0 && dup === 0) || !faultsApply(faults, batch.queue)) return consume(batch, env);
  const kept: Message<unknown>[] = [];
  for (const m of batch.messages) {
    if (fail > 0 && rand() < fail) m.retry(); // injected failure: redelivered (or dead-lettered)
    else kept.push(m);
  }
  if (kept.length === 0) return;
  const twice = kept.filter(() => dup > 0 && rand() < dup);
  if (twice.length > 0) await consume(view(batch, twice, true), env).catch((err) => console.warn("injected duplicate delivery failed", String(err)));
  return consume(kept.length === batch.messages.length ? batch : view(batch, kept, false), env);
}
