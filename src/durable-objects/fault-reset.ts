// Fault injection (ECHONET_FAULTS=1): which Durable Objects can be reset, and how to name
// every instance of a class. A DO resets itself: its `faultReset()` RPC calls
// `ctx.abort()`, which drops the in-memory instance exactly like an eviction or a crash; the
// next call rebuilds it from its own SQLite storage. New areas (DHT, ads, PoE) append their
// classes to RESETTABLE; classes keyed by arbitrary ids (contract instances, per-DID quota)
// list no names and are reset by name only.
import type { Env } from "../env";
import { faultsEnabled, getConfig, type Config } from "../lib/config";
import { allAccountShards, allContentShards, allEventShards, allIndexShards, SEQUENCER, SYSTEM_ISSUER } from "../workers/shards";
import { allChunkIndexShards, allStorageNodes } from "../lib/placement";
import { AUDITOR } from "../storage/store";
import { POE_COORDINATOR } from "../poe/shards";
import { AD_KEYRING, allAdMarketShards } from "../ads/types";

/** What every resettable DO class exposes. */
export interface Resettable {
  faultReset(): Promise<void>;
}

/**
 * Called from a DO's own `faultReset()`: aborts this instance. A no-op unless faults are on,
 * so the RPC is harmless even if something other than the admin route reached it.
 */
export function abortSelf(ctx: DurableObjectState, env: object): void {
  if (!faultsEnabled(getConfig(env))) return;
  ctx.abort("fault injection: reset");
}

interface ResetEntry {
  binding: keyof Env & string;
  /** Every instance name of the class under this configuration; undefined = open-ended. */
  names?: (config: Config) => readonly string[];
}

export const RESETTABLE: Record<string, ResetEntry> = {
  EventShard: { binding: "EVENT_SHARD", names: (c) => allEventShards(c.EVENT_SHARDS) },
  WitnessNode: { binding: "WITNESS_NODE", names: (c) => Array.from({ length: c.WITNESS_COUNT }, (_, i) => `witness-${i}`) },
  Sequencer: { binding: "SEQUENCER", names: () => [SEQUENCER] },
  AccountShard: { binding: "ACCOUNT_SHARD", names: (c) => allAccountShards(c.ACCOUNT_SHARDS) },
  ContractInstance: { binding: "CONTRACT_INSTANCE" },
  SystemIssuer: { binding: "SYSTEM_ISSUER", names: () => [SYSTEM_ISSUER] },
  ContentShard: { binding: "CONTENT_SHARD", names: (c) => allContentShards(c.CONTENT_SHARDS) },
  IndexShard: { binding: "INDEX_SHARD", names: (c) => allIndexShards(c.INDEX_SHARDS) },
  StorageNode: { binding: "STORAGE_NODE", names: (c) => allStorageNodes(c.STORAGE_NODES) },
  ChunkIndex: { binding: "CHUNK_INDEX", names: (c) => allChunkIndexShards(c.CHUNK_INDEX_SHARDS) },
  StorageAccount: { binding: "STORAGE_ACCOUNT" },
  StorageAuditor: { binding: "STORAGE_AUDITOR", names: () => [AUDITOR] },
  DhtNode: { binding: "DHT_NODE", names: (c) => Array.from({ length: c.DHT_NODES }, (_, i) => `dht-${i}`) },
  PoeCoordinator: { binding: "POE_COORDINATOR", names: () => [POE_COORDINATOR] },
  PoeShard: { binding: "POE_SHARD" },
  Campaign: { binding: "CAMPAIGN" },
  AdMarket: { binding: "AD_MARKET", names: (c) => [...allAdMarketShards(c.AD_MARKET_SHARDS), AD_KEYRING] },
};

export type ResetOutcome = { ok: true; reset: string[] } | { ok: false; reason: "unknown_class" | "name_required" | "unknown_name" };

/**
 * Resets one named instance, or every instance of the class. The RPC fails on the caller's
 * side by design (the callee aborts); that failure is the success signal here.
 */
export async function resetDurableObjects(env: Env, config: Config, className: string, name?: string): Promise<ResetOutcome> {
  const entry = Object.hasOwn(RESETTABLE, className) ? RESETTABLE[className] : undefined;
  if (!entry) return { ok: false, reason: "unknown_class" };
  const known = entry.names?.(config);
  let targets: readonly string[];
  if (name !== undefined) {
    if (known && !known.includes(name)) return { ok: false, reason: "unknown_name" };
    targets = [name];
  } else {
    if (!known) return { ok: false, reason: "name_required" };
    targets = known;
  }
  const ns = env[entry.binding] as DurableObjectNamespace<Resettable & Rpc.DurableObjectBranded>;
  await Promise.all(targets.map((n) => ns.getByName(n).faultReset().catch(() => undefined)));
  return { ok: true, reset: [...targets] };
}
