// Provider records (issue 6): verified on STORE, expire after their TTL unless republished
// (this project: DHT_RECORD_TTL_MS = 4 s); an external peer (test/dht/peer-worker.js, a second
// worker reached over HTTP) joins, its records are found, and once it stops answering it is
// dropped from lookups and evicted from routing tables after failed queries.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { api, expectProblem, freshIp, newIdentity, until } from "../helpers/client";
import { dhtNodes, randomId, rpc, signedRecord, storeOnClosest, trueClosest } from "../helpers/dht";
import { K, keyIdOf, nodeIdOf, xorHex } from "../../src/lib/dht";

const ip = freshIp();
const PEER_ADDR = "http://peer.test/rpc";
const control = (path: string, body?: unknown) =>
  fetch(`http://peer-control.test${path}`, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => r.json() as Promise<any>);

const providerDids = async (key: string, via?: string) => {
  const r = await api("GET", `/v1/dht/providers/${encodeURIComponent(key)}${via ? `?via=${via}` : ""}`, { ip });
  expect(r.status).toBe(200);
  return r.body.providers.map((p: any) => p.provider) as string[];
};

describe("provider records", () => {
  it("STORE verifies the record: bad signature 401, expired or too far ahead 400, good 200", async () => {
    const [me, other] = [await newIdentity(), await newIdentity()];
    const node = (await dhtNodes(ip))[3]!.id;
    const from = { id: randomId() };
    const good = await signedRecord(me, "k-verify", 3000);
    expect((await rpc(node, { op: "STORE", from, record: good }, ip)).status).toBe(200);
    const forged = { ...good, provider: other.did };
    expectProblem(await rpc(node, { op: "STORE", from, record: forged }, ip), 401, "invalid_signature");
    const tampered = { ...good, key: "k-other" };
    expectProblem(await rpc(node, { op: "STORE", from, record: tampered }, ip), 401, "invalid_signature");
    expectProblem(await rpc(node, { op: "STORE", from, record: await signedRecord(me, "k-verify", -1000) }, ip), 400, "validation_failed");
    expectProblem(await rpc(node, { op: "STORE", from, record: await signedRecord(me, "k-verify", 3_600_000) }, ip), 400, "validation_failed");
    const fv = await rpc(node, { op: "FIND_VALUE", from, key: "k-verify" }, ip);
    expect(fv.status).toBe(200);
    expect(fv.body.records).toEqual([good]);
  });

  it("hosted publishing verifies each record once: a forged one is dropped before any STORE, the good one is found", async () => {
    const [me, other] = [await newIdentity(), await newIdentity()];
    const key = `k-publish-${randomId().slice(0, 8)}`;
    const good = await signedRecord(me, key, 3000);
    const forged = { ...(await signedRecord(me, key, 3000)), provider: other.did };
    const r = await env.DHT_NODE.getByName("dht-5").publish([forged, good]);
    expect(r.keys).toBe(1);
    expect(r.stores).toBeGreaterThan(0);
    expect(await providerDids(key)).toEqual([me.did]);
    // What the key's k closest hosted nodes hold, unfiltered: never the forged record.
    const ids = (await dhtNodes(ip)).map((n) => n.id);
    let held = 0;
    for (const id of trueClosest(keyIdOf(key), ids)) {
      const fv = await rpc(id, { op: "FIND_VALUE", from: { id: randomId() }, key }, ip);
      expect(fv.status).toBe(200);
      for (const rec of fv.body.records ?? []) {
        expect(rec.provider).toBe(me.did);
        held++;
      }
    }
    expect(held).toBeGreaterThan(0);
  });

  it("a record expires after its TTL; a republished one (later expiresAt) stays", async () => {
    const [a, b] = [await newIdentity(), await newIdentity()];
    const key = `ttl-${Date.now()}`;
    const from = { id: randomId() };
    await storeOnClosest(await signedRecord(a, key, 2500), from, ip);
    await storeOnClosest(await signedRecord(b, key, 2500), from, ip);
    expect((await providerDids(key)).sort()).toEqual([a.did, b.did].sort());
    // b republishes before expiry; a does not.
    await until(() => Promise.resolve(Date.now()), () => true);
    const republished = await signedRecord(b, key, 3900);
    await storeOnClosest(republished, from, ip);
    const later = await until(() => providerDids(key), (d) => !d.includes(a.did), 15_000, "a's record to expire");
    expect(later).toEqual([b.did]);
    const rec = (await api("GET", `/v1/dht/providers/${key}`, { ip })).body.providers[0];
    expect(rec).toEqual(republished);
    await until(() => providerDids(key), (d) => d.length === 0, 15_000, "b's record to expire");
  });
});

describe("an external peer", () => {
  it("joins through the seed over HTTP RPC; its own record is found through it; when it stops answering it is dropped and evicted", async () => {
    const peer = await newIdentity();
    const peerId = nodeIdOf(peer.did);
    await control("/setup", { id: peerId });
    const nodes = await dhtNodes(ip);
    const seed = nodes[0]!.id;
    // Join: FIND_NODE for its own ID at the seed, then at the closest nodes it learns of.
    const first = await rpc(seed, { op: "FIND_NODE", from: { id: peerId, addr: PEER_ADDR }, target: peerId }, ip);
    expect(first.status).toBe(200);
    expect(first.body.id).toBe(seed);
    for (const n of first.body.nodes) expect(n.addr).toBe(`http://echonet.test/v1/dht/nodes/${n.id}/rpc`);
    for (const n of first.body.nodes.slice(0, 5)) {
      expect((await rpc(n.id, { op: "FIND_NODE", from: { id: peerId, addr: PEER_ADDR }, target: peerId }, ip)).status).toBe(200);
    }
    // Hosted lookups now reach the peer over HTTP: it is among the k closest to its own ID.
    const ids = [...nodes.map((n) => n.id), peerId];
    const look = await api("GET", `/v1/dht/lookup/${peerId}?via=${nodes[7]!.id}`, { ip });
    expect(look.status).toBe(200);
    expect(look.body.nodes.map((n: any) => n.id)).toEqual(trueClosest(peerId, ids));
    expect(look.body.nodes.find((n: any) => n.id === peerId).addr).toBe(PEER_ADDR);
    expect((await control("/state")).rpcs).toBeGreaterThan(0);

    // A key whose ID is closest to the peer (among all nodes): the peer alone holds its record.
    let key = "";
    for (let i = 0; ; i++) {
      key = `peer-key-${i}`;
      if (trueClosest(keyIdOf(key), ids)[0] === peerId) break;
    }
    const record = await signedRecord(peer, key, 3500, PEER_ADDR);
    await fetch(PEER_ADDR, { method: "POST", body: JSON.stringify({ op: "STORE", from: { id: peerId }, record }) });
    for (const via of [nodes[1]!.id, nodes[30]!.id, nodes[63]!.id]) {
      const r = await api("GET", `/v1/dht/providers/${key}?via=${via}`, { ip });
      expect(r.body.providers, `via ${via}`).toEqual([record]);
    }

    // The peer stops answering: lookups drop it at once; nodes that held it evict it after failed queries.
    await control("/down");
    const holders = [];
    for (const n of nodes) {
      const d = (await api("GET", `/v1/dht/nodes/${n.id}`, { ip })).body;
      if (d.buckets.some((b: any) => b.contacts.some((c: any) => c.id === peerId))) holders.push(n.id);
    }
    expect(holders.length).toBeGreaterThan(0);
    for (const via of holders) {
      const r = await api("GET", `/v1/dht/lookup/${peerId}?via=${via}`, { ip });
      expect(r.body.nodes.map((n: any) => n.id)).toEqual(trueClosest(peerId, nodes.map((n) => n.id)));
      await until(
        async () => {
          await api("GET", `/v1/dht/lookup/${peerId}?via=${via}`, { ip });
          const d = (await api("GET", `/v1/dht/nodes/${via}`, { ip })).body;
          return d.buckets.some((b: any) => b.contacts.some((c: any) => c.id === peerId));
        },
        (held) => !held,
        10_000,
        `${via} to evict the dead peer`,
      );
    }
    expect(xorHex(peerId, peerId)).toBe("0".repeat(64));
    expect(K).toBe(20);
  });
});
