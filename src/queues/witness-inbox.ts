// witness-inbox consumer: turns a batch of recorded events into committee verdicts. A message
// carries up to 50 events (EventShards pack them), so one queue batch holds thousands. Each
// witness gets one attestBatch call per WITNESS_CALL_MAX events of the batch (work arrives in
// batches, not one call per event); each EventShard gets one recordVerdicts call. A quorum of
// each committee is asked first, the rest only when that quorum leaves the event undecided
// (DECISIONS 171). Witnesses store their attestation per event and shards only move pending
// events, so redelivery changes nothing; a message is acked only when every event in it is
// decided.
import type { Env } from "../env";
import { getConfig, faultsEnabled } from "../lib/config";
import { quorumFor, selectCommittee } from "../lib/committee";
import { getWitnessSet, witnessStub, type HostedWitness } from "../witness/registry";
import { shardFor } from "../workers/shards";
import type { Attestation } from "../schemas/api";
import type { Verdict } from "../durable-objects/EventShard";
import { inboxItemsOf, WitnessInboxMessage, type WitnessInboxItem } from "./messages";
import type { FaultSettings } from "../schemas/api";

type Msg = Message<unknown>;

/** Events per attestBatch RPC: bounds one call's payload and a witness's single turn. */
const WITNESS_CALL_MAX = 500;

export async function consumeWitnessInbox(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = getConfig(env);
  const faults: FaultSettings = faultsEnabled(config) ? await env.FAULTS.getByName("faults").get() : {};

  // Validate every message; a malformed one can never succeed, so it is acked and dropped
  // loudly rather than retried into the dead-letter queue.
  const byId = new Map<string, { body: WitnessInboxItem; messages: Msg[] }>();
  const live: { m: Msg; ids: string[] }[] = [];
  for (const m of batch.messages) {
    if (faults.witnessInboxFailRate && Math.random() < faults.witnessInboxFailRate) {
      m.retry();
      continue;
    }
    if (faults.witnessInboxDropRate && Math.random() < faults.witnessInboxDropRate) {
      m.ack(); // injected loss: only the EventShard alarm can recover these events
      continue;
    }
    const parsed = WitnessInboxMessage.safeParse(m.body);
    if (!parsed.success) {
      console.error("witness-inbox: malformed message dropped", m.id);
      m.ack();
      continue;
    }
    const items = inboxItemsOf(parsed.data);
    live.push({ m, ids: items.map((i) => i.id) });
    for (const item of items) {
      const entry = byId.get(item.id);
      if (entry) entry.messages.push(m);
      else byId.set(item.id, { body: item, messages: [m] });
    }
  }
  if (byId.size === 0) return;

  const witnesses = await getWitnessSet(env);
  const byDid = new Map(witnesses.map((w) => [w.did, w]));
  const active = witnesses.filter((w) => w.status === "active").map((w) => w.did);

  // Committee per event. The first `quorum` members (by score) are asked first: when they all
  // accept, that is the receipt, and the rest of the committee is never asked. Only an event
  // they leave undecided (a reject, or a witness that failed) goes to the remaining members.
  const committees = new Map<string, string[]>();
  await Promise.all(
    [...byId.values()].map(async ({ body }) => {
      committees.set(body.id, await selectCommittee(body.id, active, config.COMMITTEE_SIZE));
    }),
  );
  const duplicated = faults.witnessInboxDuplicateRate ?? 0;
  const down = new Set(faults.witnessDown ?? []);

  const attestations = new Map<string, Map<string, Attestation>>(); // eventId → witness → attestation
  /** Each witness gets its events of this stage in calls of at most WITNESS_CALL_MAX. */
  const ask = async (items: WitnessInboxItem[], members: (committee: string[]) => string[]) => {
    const work = new Map<HostedWitness, WitnessInboxItem[]>();
    for (const item of items) {
      for (const did of members(committees.get(item.id)!)) {
        const w = byDid.get(did)!;
        if (!work.has(w)) work.set(w, []);
        work.get(w)!.push(item);
      }
    }
    const calls = [...work].flatMap(([w, list]) => Array.from({ length: Math.ceil(list.length / WITNESS_CALL_MAX) }, (_, k) => [w, list.slice(k * WITNESS_CALL_MAX, (k + 1) * WITNESS_CALL_MAX)] as const));
    await Promise.all(
      calls.map(async ([w, list]) => {
        const requests = list.map(({ id, event, intakeAt }) => ({ id, event, intakeAt }));
        try {
          if (down.has(w.name)) throw new Error("fault injection: witness down");
          const stub = witnessStub(env, w.name);
          const results = await stub.attestBatch(requests);
          if (duplicated > 0 && Math.random() < duplicated) await stub.attestBatch(requests); // injected redelivery
          results.forEach((a, i) => {
            const id = list[i]!.id;
            if (!attestations.has(id)) attestations.set(id, new Map());
            attestations.get(id)!.set(w.did, a);
          });
        } catch (err) {
          console.warn(`witness ${w.name} failed a batch`, String(err));
        }
      }),
    );
  };

  /** The verdict once the outcome is certain (a quorum of accepts, or accept impossible). */
  const decide = (id: string): Verdict | undefined => {
    const committee = committees.get(id)!;
    const quorum = quorumFor(committee.length);
    const got = attestations.get(id) ?? new Map<string, Attestation>();
    const list = committee.flatMap((did) => (got.has(did) ? [got.get(did)!] : []));
    const accepts = list.filter((a) => a.verdict === "accept").length;
    const rejects = list.length - accepts;
    if (accepts >= quorum) return { id, status: "attested", receipt: { committee, attestations: list, quorum } };
    if (rejects > committee.length - quorum) {
      const reasons = [...new Set(list.filter((a) => a.verdict === "reject").map((a) => a.reason ?? "rejected"))];
      return { id, status: "rejected", reason: reasons.join(","), receipt: { committee, attestations: list, quorum } };
    }
    return undefined;
  };

  const verdicts = new Map<string, Verdict>();
  const settle = (list: WitnessInboxItem[]) => {
    for (const item of list) {
      const verdict = decide(item.id);
      if (verdict) verdicts.set(item.id, verdict);
    }
  };
  const items = [...byId.values()].map((e) => e.body);
  await ask(items, (committee) => committee.slice(0, quorumFor(committee.length)));
  settle(items);
  const undecided = items.filter((item) => !verdicts.has(item.id));
  if (undecided.length > 0) {
    await ask(undecided, (committee) => committee.slice(quorumFor(committee.length)));
    settle(undecided);
  }

  // Record each event whose outcome is certain; retry the rest.
  const verdictsByShard = new Map<string, Verdict[]>();
  const decided: string[] = [];
  for (const [id, verdict] of verdicts) {
    const shard = shardFor(id, config.EVENT_SHARDS);
    if (!verdictsByShard.has(shard)) verdictsByShard.set(shard, []);
    verdictsByShard.get(shard)!.push(verdict);
    decided.push(id);
  }

  const failedShards = new Set<string>();
  await Promise.all(
    [...verdictsByShard].map(async ([shard, verdicts]) => {
      try {
        await env.EVENT_SHARD.getByName(shard).recordVerdicts(verdicts);
      } catch (err) {
        console.warn(`shard ${shard} failed to record verdicts`, String(err));
        failedShards.add(shard);
      }
    }),
  );

  const done = new Set(decided.filter((id) => !failedShards.has(shardFor(id, config.EVENT_SHARDS))));
  for (const { m, ids } of live) (ids.every((id) => done.has(id)) ? m.ack() : m.retry());
}

/** Dead letters: the witnesses never decided these; they end rejected, never pending forever. */
export async function consumeWitnessInboxDlq(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = getConfig(env);
  const byShard = new Map<string, string[]>();
  const live: { m: Msg; shards: Set<string> }[] = [];
  for (const m of batch.messages) {
    const parsed = WitnessInboxMessage.safeParse(m.body);
    if (!parsed.success) {
      m.ack();
      continue;
    }
    const shards = new Set<string>();
    for (const item of inboxItemsOf(parsed.data)) {
      const shard = shardFor(item.id, config.EVENT_SHARDS);
      shards.add(shard);
      if (!byShard.has(shard)) byShard.set(shard, []);
      byShard.get(shard)!.push(item.id);
    }
    live.push({ m, shards });
  }
  const failed = new Set<string>();
  await Promise.all(
    [...byShard].map(async ([shard, ids]) => {
      try {
        await env.EVENT_SHARD.getByName(shard).timeOut(ids);
      } catch {
        failed.add(shard);
      }
    }),
  );
  // A message is acked once every shard it touches has timed its events out.
  for (const { m, shards } of live) ([...shards].some((s) => failed.has(s)) ? m.retry() : m.ack());
}
