// 256 hosted nodes (project dht-256): lookups return the true k closest within ⌈log2 N⌉ + 2
// hops, and a stored provider record is found from any node. The first lookup runs right after
// provisioning (DECISIONS 127: under wrangler dev it once stalled for minutes).
import { describe, expect, it } from "vitest";
import { api, freshIp, newIdentity } from "../helpers/client";
import { checkLookups, dhtNodes, signedRecord, storeOnClosest } from "../helpers/dht";

const ip = freshIp();

describe("DHT with 256 nodes", () => {
  it("every lookup returns the true k closest (brute force over GET /v1/dht/nodes) within ⌈log2 N⌉ + 2 hops", async () => {
    const { maxHops, meanHops } = await checkLookups(256, 16, 4, ip);
    console.log(`256 nodes: max hops ${maxHops}, mean ${meanHops.toFixed(2)}`);
  }, 400_000);

  it("a provider record stored on its key's k closest is found from any node", async () => {
    const me = await newIdentity();
    const record = await signedRecord(me, `key-256-${Date.now()}`, 60_000);
    await storeOnClosest(record, { id: "f".repeat(64) }, ip);
    const nodes = await dhtNodes(ip);
    for (const via of nodes.filter((_, i) => i % 64 === 0)) {
      const r = await api("GET", `/v1/dht/providers/${encodeURIComponent(record.key)}?via=${via.id}`, { ip });
      expect(r.status).toBe(200);
      expect(r.body.providers).toEqual([record]);
      expect(r.body.hops).toBeLessThanOrEqual(10);
    }
  }, 120_000);
});
