// Chunk providers in the DHT (issue 6): every stored chunk's healthy replicas are published as
// provider records of its CID, signed by their storage node; a replica marked bad stops being
// republished and its record expires (this project: DHT_RECORD_TTL_MS = 4 s).
import { describe, expect, it } from "vitest";
import { api, freshIp, newIdentity, until } from "../helpers/client";
import { ADMIN } from "../helpers/ledger";
import { putChunk, randomBytes } from "../helpers/storage";
import { verifyProviderRecord } from "../../src/lib/dht";

const ip = freshIp();

const providers = async (cid: string, via?: string) => {
  const r = await api("GET", `/v1/dht/providers/${cid}${via ? `?via=${via}` : ""}`, { ip });
  expect(r.status).toBe(200);
  return r.body as { key: string; providers: any[]; hops: number };
};

async function healthyDids(cid: string): Promise<string[]> {
  const meta = (await api("GET", `/v1/chunks/${cid}/meta`, { ip })).body;
  const nodes = (await api("GET", "/v1/storage/nodes", { ip })).body.nodes;
  return meta.replicas.filter((r: any) => r.status === "ok").map((r: any) => nodes.find((n: any) => n.id === r.node)?.did).sort();
}

describe("chunk providers", () => {
  it("an uploaded chunk's 3 replicas are found as signed providers of its CID from any node; a corrupted replica stops being advertised", async () => {
    const me = await newIdentity();
    const put = await putChunk(me, randomBytes(5000), { ip });
    expect(put.status).toBe(201);
    const { cid } = put.body;
    const found = await until(() => providers(cid), (r) => r.providers.length === 3, 30_000, "3 providers");
    const dids = found.providers.map((p) => p.provider).sort();
    expect(new Set(dids).size).toBe(3);
    for (const p of found.providers) {
      expect(p.key).toBe(cid);
      expect(await verifyProviderRecord(p)).toBe(true);
    }
    expect(await until(() => healthyDids(cid), (d) => d.every(Boolean))).toEqual(dids);
    const nodes = (await api("GET", "/v1/dht/nodes", { ip })).body.nodes;
    for (const n of nodes.filter((_: unknown, i: number) => i % 16 === 5)) {
      expect((await providers(cid, n.id)).providers.map((p) => p.provider).sort()).toEqual(dids);
    }

    // Corrupt one replica; the audit marks it bad and repairs onto another node.
    const bad = put.body.replicas[0].node;
    expect((await api("POST", "/v1/admin/faults", { body: { corruptReplica: { cid, node: bad } }, headers: ADMIN, ip })).status).toBe(200);
    const round = await api("POST", "/v1/admin/storage/audit", { body: { cids: [cid] }, headers: ADMIN, ip });
    expect(round.status).toBe(200);
    expect(round.body.failed).toBeGreaterThanOrEqual(1);
    const badDid = (await api("GET", "/v1/storage/nodes", { ip })).body.nodes.find((n: any) => n.id === bad).did;
    const after = await until(
      async () => ({ want: await healthyDids(cid), got: (await providers(cid)).providers.map((p) => p.provider).sort() }),
      (x) => x.want.every(Boolean) && x.want.length === 3 && JSON.stringify(x.want) === JSON.stringify(x.got),
      30_000,
      "providers = healthy replicas",
    );
    expect(after.got).not.toContain(badDid);
  });
});
