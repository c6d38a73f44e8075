// DHT test helpers: the hosted nodes, brute-force k closest, signed provider records, STOREs
// through the public RPC.
import { expect } from "vitest";
import { api, type Identity } from "./client";
import { K, byDistance, keyIdOf, signProviderRecord, type ProviderRecord } from "../../src/lib/dht";

export interface HostedNode {
  id: string;
  did: string;
  buckets: number;
  contacts: number;
  records: number;
}

export async function dhtNodes(ip?: string): Promise<HostedNode[]> {
  const r = await api("GET", "/v1/dht/nodes", { ip });
  expect(r.status).toBe(200);
  return r.body.nodes;
}

/** The true k closest of `ids` to target (brute force). */
export const trueClosest = (target: string, ids: string[]) => byDistance(target, ids.map((id) => ({ id }))).slice(0, K).map((x) => x.id);

export const randomId = () => [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function signedRecord(who: Identity, key: string, ttlMs: number, addr?: string): Promise<ProviderRecord> {
  const expiresAt = new Date(Date.now() + ttlMs).toISOString();
  return signProviderRecord(addr ? { key, provider: who.did, addr, expiresAt } : { key, provider: who.did, expiresAt }, who.privateKey);
}

export const rpc = (node: string, body: unknown, ip?: string) => api("POST", `/v1/dht/nodes/${node}/rpc`, { body, ip });

/** Publishes like an external client: lookup of the key's k closest, then a STORE to each. */
export async function storeOnClosest(record: ProviderRecord, from: { id: string; addr?: string }, ip?: string): Promise<string[]> {
  const look = await api("GET", `/v1/dht/lookup/${keyIdOf(record.key)}`, { ip });
  expect(look.status).toBe(200);
  const ids: string[] = look.body.nodes.map((n: any) => n.id);
  const hosted = new Set((await dhtNodes(ip)).map((n) => n.id));
  for (const id of ids.filter((x) => hosted.has(x))) {
    const r = await rpc(id, { op: "STORE", from, record }, ip);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
  return ids;
}

/** Every lookup (from several nodes, to node ids and random targets) returns the true k closest within ⌈log2 N⌉ + 2 hops. */
export async function checkLookups(n: number, targets: number, vias: number, ip: string): Promise<{ maxHops: number; meanHops: number }> {
  const nodes = await dhtNodes(ip);
  expect(nodes).toHaveLength(n);
  const ids = nodes.map((x) => x.id);
  expect(new Set(ids).size).toBe(n);
  const bound = Math.ceil(Math.log2(n)) + 2;
  let maxHops = 0;
  let sum = 0;
  let count = 0;
  for (let t = 0; t < targets; t++) {
    const target = t % 2 === 0 ? randomId() : ids[(t * 7919) % n]!;
    const want = trueClosest(target, ids);
    for (let v = 0; v < vias; v++) {
      const via = ids[(t * 31 + v * 17) % n]!;
      const r = await api("GET", `/v1/dht/lookup/${target}?via=${via}`, { ip });
      expect(r.status).toBe(200);
      expect(r.body.target).toBe(target);
      expect(r.body.nodes.map((x: any) => x.id), `lookup ${target} via ${via}`).toEqual(want);
      expect(r.body.hops).toBeLessThanOrEqual(bound);
      expect(r.body.queried).toBeGreaterThan(0);
      maxHops = Math.max(maxHops, r.body.hops);
      sum += r.body.hops;
      count++;
    }
  }
  return { maxHops, meanHops: sum / count };
}
