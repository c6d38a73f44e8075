// Witnesses, health and status.
import { Hono } from "hono";
import type { Env } from "../../env";
import { getConfig } from "../../lib/config";
import { witnessList } from "../../witness/registry";
import { allEventShards, SEQUENCER } from "../shards";
import type { EventStatus } from "../../schemas/api";
import { POE_COORDINATOR } from "../../poe/shards";

export const network = new Hono<{ Bindings: Env }>();

network.get("/witnesses", async (c) => c.json(await witnessList(c.env)));

network.get("/health", (c) => c.json({ ok: true, time: new Date().toISOString() }));

network.get("/status", async (c) => {
  const config = getConfig(c.env);
  const [stats, chain, poeLag] = await Promise.all([
    Promise.all(allEventShards(config.EVENT_SHARDS).map((s) => c.env.EVENT_SHARD.getByName(s).stats())),
    c.env.SEQUENCER.getByName(SEQUENCER).stats(),
    c.env.POE_COORDINATOR.getByName(POE_COORDINATOR).lag(),
  ]);
  const events: Record<EventStatus, number> = { pending: 0, attested: 0, applied: 0, failed: 0, rejected: 0 };
  for (const s of stats) for (const [k, n] of Object.entries(s.counts)) events[k as EventStatus] += n;
  return c.json({
    time: new Date().toISOString(),
    settledHeight: chain.settledHeight,
    latestHeight: chain.latestHeight,
    events,
    inbox: { pending: events.pending, max: config.INBOX_MAX_PENDING },
    executor: chain.executor,
    // The Queue binding cannot report its backlog; pending events are the witness-inbox lag.
    // Attested events not yet in an applied block are the ledger's lag.
    // PoE: engagements applied but not yet counted by their epoch's shard; payout batches not applied.
    queues: {
      "witness-inbox": { lag: events.pending },
      sequencer: { lag: events.attested },
      "poe-engagement": { lag: poeLag.engagement },
      "poe-batches": { lag: poeLag.batches },
    },
    shards: { events: config.EVENT_SHARDS, witnesses: config.WITNESS_COUNT, accounts: config.ACCOUNT_SHARDS },
  });
});
