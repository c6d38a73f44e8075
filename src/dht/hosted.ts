// The hosted DHT as the Worker sees it: provisioned on first use through the seed (idempotent),
// its directory (node ID → DO name) cached per isolate, and provider publishing for the storage
// nodes. The directory is fixed by configuration, so the cache never goes stale within a run.
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import { compareDistance, idWords, keyIdOf, type ProviderRecord } from "../lib/dht";
import { SEED, type Contact, type HostedEntry } from "../durable-objects/DhtNode";

let cache: { n: number; entries: HostedEntry[]; byId: Map<string, HostedEntry> } | undefined;
let pending: { n: number; p: Promise<HostedEntry[]> } | undefined;

/** Every hosted node, provisioning them first if needed. */
export async function hostedNodes(env: Env): Promise<{ entries: HostedEntry[]; byId: Map<string, HostedEntry> }> {
  const n = getConfig(env).DHT_NODES;
  if (cache?.n === n) return cache;
  if (pending?.n !== n) {
    const p = env.DHT_NODE.getByName(SEED).provision(n);
    pending = { n, p };
    p.catch(() => (pending = undefined));
  }
  const entries = await pending.p;
  cache = { n, entries, byId: new Map(entries.map((e) => [e.id, e])) };
  return cache;
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
 * Publishes signed provider records, each through the hosted node closest (XOR) to its key: the
 * replicas of one chunk, published by different storage nodes, meet at the same node, which
 * looks the key up once for all of them (DhtNode.publishLookup).
 */
export async function publishProviders(env: Env, records: ProviderRecord[]): Promise<{ keys: number; stores: number }> {
  if (records.length === 0) return { keys: 0, stores: 0 };
  const { entries } = await hostedNodes(env);
  const byVia = new Map<string, ProviderRecord[]>();
  for (const r of records) {
    const t = idWords(keyIdOf(r.key));
    let via = entries[0]!;
    for (const e of entries) if (compareDistance(t, idWords(e.id), idWords(via.id)) < 0) via = e;
    byVia.set(via.name, [...(byVia.get(via.name) ?? []), r]);
  }
  const results = await Promise.all([...byVia].map(([via, rs]) => dhtStub(env, via).publish(rs)));
  return results.reduce((a, b) => ({ keys: a.keys + b.keys, stores: a.stores + b.stores }), { keys: 0, stores: 0 });
}
