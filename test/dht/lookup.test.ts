// 64 hosted nodes (project dht): lookups return the true k closest within ⌈log2 N⌉ + 2 hops,
// and a stored provider record is found from any node.
import { describe, expect, it } from "vitest";
import { api, freshIp, newIdentity } from "../helpers/client";
import { checkLookups, dhtNodes, signedRecord, storeOnClosest } from "../helpers/dht";

const ip = freshIp();

describe("DHT with 64 nodes", () => {
  it("provisions 64 nodes once, each with its own did:key and node ID = sha256(did)", async () => {
    const nodes = await dhtNodes(ip);
    expect(nodes).toHaveLength(64);
    for (const n of nodes) {
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(n.did)));
      expect(n.id).toBe([...digest].map((b) => b.toString(16).padStart(2, "0")).join(""));
      expect(n.did).toMatch(/^did:key:z6Mk/);
      expect(n.contacts).toBeGreaterThan(0);
    }
    expect(await dhtNodes(ip)).toHaveLength(64);
  });

  it("every lookup returns the true k closest (brute force over GET /v1/dht/nodes) within ⌈log2 N⌉ + 2 hops", async () => {
    const { maxHops, meanHops } = await checkLookups(64, 8, 3, ip);
    console.log(`64 nodes: max hops ${maxHops}, mean ${meanHops.toFixed(2)}`);
  });

  it("a provider record stored on its key's k closest is found from any node", async () => {
    const me = await newIdentity();
    const record = await signedRecord(me, `key-64-${Date.now()}`, 60_000);
    await storeOnClosest(record, { id: "e".repeat(64) }, ip);
    for (const via of (await dhtNodes(ip)).filter((_, i) => i % 9 === 0)) {
      const r = await api("GET", `/v1/dht/providers/${encodeURIComponent(record.key)}?via=${via.id}`, { ip });
      expect(r.status).toBe(200);
      expect(r.body.providers).toEqual([record]);
    }
  });
});
