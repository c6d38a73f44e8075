// The hosted DHT as the Worker sees it: provisioned on first use through the seed (idempotent),
// its directory (node ID → DO name) cached per isolate, and provider publishing for the storage
// nodes. The directory is fixed by configuration, so the cache never goes stale within a run.
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import type { ProviderRecord } from "../lib/dht";
import { SEED, type Contact, type HostedEntry } from "../durable-objects/DhtNode";
import { IsolateCache } from "../lib/isolate-cache";

type Directory = { entries: HostedEntry[]; byId: Map<string, HostedEntry> };
const directory = new IsolateCache<number, Directory>();

/**
 * Every hosted node, provisioning them first if needed. Until the directory is cached, each
 * caller asks the seed itself: provisioning is idempotent, and the seed shares one run among
 * concurrent calls (src/lib/isolate-cache.ts).
 */
export function hostedNodes(env: Env): Promise<Directory> {
  const n = getConfig(env).DHT_NODES;
  return directory.get(n, async () => {
    const entries = await env.DHT_NODE.getByName(SEED).provision(n);
    return { entries, byId: new Map(entries.map((e) => [e.id, e])) };
  });
}

export const dhtStub = (env: Env, name: string) => env.DHT_NODE.getByName(name);

/** The hosted node that runs a lookup: `via` if given, else one chosen by the target. */
export async function lookupNode(env: Env, target: string, via?: string): Promise<HostedEntry | null> {
  const { entries, byId } = await hostedNodes(env);
  if (via) return byId.get(via) ?? null;
  return entries[parseInt(target.slice(0, 8), 16) % entries.length]!;
}

/** Contacts for an HTTP answer: hosted ones get their public RPC URL on this origin. */
export const withAddrs = (origin: string, nodes: Contact[]): Contact[] =>
  nodes.map((c) => (c.addr ? c : { id: c.id, addr: `${origin}/v1/dht/nodes/${c.id}/rpc` }));

/**
 * Storage nodes publish at the boundaries of this window (their alarms are aligned to it), so
 * the replicas of every chunk stored within one window reach the same hosted node together.
 */
export const PUBLISH_WINDOW_MS = 2000;

/** The first publishing boundary after `now`. */
export const nextPublishBoundary = (now: number): number => (Math.floor(now / PUBLISH_WINDOW_MS) + 1) * PUBLISH_WINDOW_MS;

/**
 * Publishes signed provider records through one hosted node per window (rotating over the
 * nodes): every storage node's batch of a window meets there, is gathered for a moment
 * (DhtNode.publish), looked up once per key and sent as one STORE per target node — the three
 * replicas of a chunk, and the chunks of one window, share their lookups and their STOREs.
 */
export async function publishProviders(env: Env, records: ProviderRecord[]): Promise<{ keys: number; stores: number }> {
  if (records.length === 0) return { keys: 0, stores: 0 };
  const { entries } = await hostedNodes(env);
  const via = entries[Math.floor(Date.now() / PUBLISH_WINDOW_MS) % entries.length]!;
  return dhtStub(env, via.name).publish(records);
}
