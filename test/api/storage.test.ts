// The distributed data store (DESIGN §5, issue 5) through the public API.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, expectProblem, freshIp, newIdentity, signedEvent, submit, waitForStatus } from "../helpers/client";
import { ADMIN } from "../helpers/ledger";
import { authFor, getChunkBytes, putChunk, randomBytes } from "../helpers/storage";
import { cidForBytes } from "../../src/lib/cid";
import { fromBase64, toHex } from "../../src/lib/encoding";
import { leafCountFor, merkleRootHex, verifyProof } from "../../src/lib/merkle";

const ip = freshIp();
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && toHex(a) === toHex(b);

async function r2Replicas(cid: string): Promise<string[]> {
  const listed = await env.CHUNKS.list({ prefix: "ssn/" });
  return listed.objects.map((o) => o.key).filter((k) => k.endsWith(`/${cid}`));
}

async function usage(did: string) {
  const r = await api("GET", `/v1/storage/usage/${did}`, { ip });
  expect(r.status).toBe(200);
  return r.body as { usedBytes: number; reservedBytes: number; quotaBytes: number; chunks: number };
}

async function proveAll(cid: string) {
  const meta = (await api("GET", `/v1/chunks/${cid}/meta`, { ip })).body;
  const n = leafCountFor(meta.size, meta.leafSize);
  for (const { node } of meta.replicas) {
    for (let i = 0; i < n; i++) {
      const p = await api("POST", `/v1/storage/nodes/${node}/challenge`, { body: { cid, leafIndex: i }, ip });
      expect(p.status, `${node} leaf ${i}`).toBe(200);
      expect(verifyProof(meta.merkleRoot, i, n, fromBase64(p.body.leaf), p.body.proof), `${node} leaf ${i}`).toBe(true);
    }
  }
}

describe("PUT /v1/chunks", () => {
  it("stores a chunk: 201, then 200 with the same body; CID, Merkle root, replicas and meta are right", async () => {
    const me = await newIdentity();
    const bytes = randomBytes(10_000);
    const first = await putChunk(me, bytes, { ip });
    expect(first.status).toBe(201);
    expect(first.body.cid).toBe(await cidForBytes(bytes));
    expect(first.body).toMatchObject({ size: 10_000, leafSize: 4096, merkleRoot: merkleRootHex(bytes) });
    expect(first.body.replicas).toHaveLength(3);
    expect(new Set(first.body.replicas.map((r: any) => r.node)).size).toBe(3);
    const again = await putChunk(me, bytes, { ip });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);

    const meta = await api("GET", `/v1/chunks/${first.body.cid}/meta`, { ip });
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({ ...first.body, owner: me.did });
    expect(Date.parse(meta.body.storedAt)).toBeGreaterThan(0);
    expect((await r2Replicas(first.body.cid)).sort()).toEqual(first.body.replicas.map((r: any) => `ssn/${r.node}/${first.body.cid}`).sort());
    expect(await usage(me.did)).toMatchObject({ usedBytes: 10_000, reservedBytes: 0, chunks: 1 });
    await proveAll(first.body.cid);
  });

  it("50 concurrent PUTs of the same bytes: one chunk, one 201, consistent replicas, quota charged once", async () => {
    const me = await newIdentity();
    const bytes = randomBytes(20_000);
    const rs = await Promise.all(Array.from({ length: 50 }, () => putChunk(me, bytes, { ip })));
    expect(rs.filter((r) => r.status === 201)).toHaveLength(1);
    expect(rs.filter((r) => r.status === 200)).toHaveLength(49);
    for (const r of rs) expect(r.body).toEqual(rs[0]!.body);
    const cid = rs[0]!.body.cid;
    expect(await r2Replicas(cid)).toHaveLength(3);
    expect(await usage(me.did)).toMatchObject({ usedBytes: 20_000, reservedBytes: 0, chunks: 1 });
    const nodes = (await api("GET", "/v1/storage/nodes", { ip })).body.nodes;
    expect(nodes).toHaveLength(5);
    for (const n of nodes) expect(n).toMatchObject({ capacityBytes: 1073741824, status: "active" });
    // Another DID storing the same bytes is charged for itself; the chunk stays one chunk.
    const other = await newIdentity();
    const theirs = await putChunk(other, bytes, { ip });
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual(rs[0]!.body);
    expect((await usage(other.did)).usedBytes).toBe(20_000);
    expect((await api("GET", `/v1/chunks/${cid}/meta`, { ip })).body.owner).toBe(me.did);
  });

  it("size limits: empty → 400, beyond CHUNK_MAX_BYTES → 413, exactly CHUNK_MAX_BYTES → 201", async () => {
    const me = await newIdentity();
    expectProblem(await putChunk(me, new Uint8Array(), { ip }), 400, "validation_failed");
    expectProblem(await putChunk(me, randomBytes(1_048_577), { ip }), 413, "payload_too_large");
    const max = await putChunk(me, randomBytes(1_048_576), { ip });
    expect(max.status).toBe(201);
    expect(max.body.size).toBe(1_048_576);
  });

  it("bad request auth is a clean 401 unauthorized: missing, malformed, wrong sig, stale ts, other did, other path", async () => {
    const me = await newIdentity();
    const other = await newIdentity();
    const bytes = randomBytes(100);
    const put = (authorization?: string, path = "/v1/chunks") =>
      api("PUT", path, { raw: bytes, ip, headers: authorization === undefined ? {} : { authorization } });
    const good = await authFor(me, "PUT", "/v1/chunks", bytes);
    const stale = await authFor(me, "PUT", "/v1/chunks", bytes, new Date(Date.now() - 301_000).toISOString());
    const future = await authFor(me, "PUT", "/v1/chunks", bytes, new Date(Date.now() + 301_000).toISOString());
    const otherBody = await authFor(me, "PUT", "/v1/chunks", randomBytes(100));
    const otherMethod = await authFor(me, "POST", "/v1/chunks", bytes);
    const otherPath = await authFor(me, "PUT", "/v1/chunks?x=1", bytes);
    const otherDid = good.replace(me.did, other.did);
    const cases: (string | undefined)[] = [
      undefined,
      "",
      "Bearer abc",
      good.replace('sig="', 'sig="A'),
      good.replace(/ts="[^"]+"/, 'ts="yesterday"'),
      good.replace(/did="[^"]+"/, 'did="did:web:example.com"'),
      stale,
      future,
      otherBody,
      otherMethod,
      otherPath,
      otherDid,
    ];
    for (const h of cases) expectProblem(await put(h), 401, "unauthorized");
    // The query string is part of the signed path.
    expect((await put(otherPath, "/v1/chunks?x=1")).status).toBe(201);
    expect((await put(good)).status).toBe(200);
  });
});

describe("GET /v1/chunks/:cid", () => {
  it("serves verified bytes with ETag, immutable caching, Range (206/416), If-None-Match (304) and HEAD", async () => {
    const me = await newIdentity();
    const bytes = randomBytes(9000);
    const { cid } = (await putChunk(me, bytes, { ip })).body;
    const etag = `"${cid}"`;

    const full = await getChunkBytes(cid);
    expect(full.status).toBe(200);
    expect(same(full.bytes, bytes)).toBe(true);
    expect(full.headers.get("etag")).toBe(etag);
    expect(full.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(full.headers.get("content-length")).toBe("9000");

    const mid = await getChunkBytes(cid, { range: "bytes=100-199" });
    expect(mid.status).toBe(206);
    expect(mid.headers.get("content-range")).toBe("bytes 100-199/9000");
    expect(same(mid.bytes, bytes.slice(100, 200))).toBe(true);
    const tail = await getChunkBytes(cid, { range: "bytes=-10" });
    expect(tail.status).toBe(206);
    expect(same(tail.bytes, bytes.slice(8990))).toBe(true);
    const open = await getChunkBytes(cid, { range: "bytes=8000-" });
    expect(open.headers.get("content-range")).toBe("bytes 8000-8999/9000");
    expect(same(open.bytes, bytes.slice(8000))).toBe(true);
    const clipped = await getChunkBytes(cid, { range: "bytes=8990-20000" });
    expect(clipped.headers.get("content-range")).toBe("bytes 8990-8999/9000");

    for (const range of ["bytes=9000-", "bytes=9000-9100", "bytes=-0"]) {
      const r = await api("GET", `/v1/chunks/${cid}`, { ip, headers: { range } });
      expectProblem(r, 416, "range_not_satisfiable");
      expect(r.headers.get("content-range")).toBe("bytes */9000");
    }
    // Malformed or multi-range headers are ignored (RFC 9110): the whole chunk.
    for (const range of ["bytes=a-b", "bytes=0-1,5-6", "items=0-1"]) expect((await getChunkBytes(cid, { range })).status).toBe(200);

    for (const inm of [etag, `W/${etag}`, `"x", ${etag}`, "*"]) {
      const r = await getChunkBytes(cid, { "if-none-match": inm });
      expect(r.status, inm).toBe(304);
      expect(r.bytes.length).toBe(0);
      expect(r.headers.get("etag")).toBe(etag);
    }
    expect((await getChunkBytes(cid, { "if-none-match": '"other"' })).status).toBe(200);

    const head = await getChunkBytes(cid, {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.bytes.length).toBe(0);
    expect(head.headers.get("content-length")).toBe("9000");
    expect(head.headers.get("etag")).toBe(etag);
  });

  it("malformed CIDs are 400, unknown ones 404 (problem+json)", async () => {
    const unknown = await cidForBytes(randomBytes(32));
    for (const bad of ["not-a-cid", "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n", unknown.toUpperCase(), unknown + "a", "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"]) {
      expectProblem(await api("GET", `/v1/chunks/${encodeURIComponent(bad)}`, { ip }), 400, "validation_failed");
      expectProblem(await api("GET", `/v1/chunks/${encodeURIComponent(bad)}/meta`, { ip }), 400, "validation_failed");
    }
    expectProblem(await api("GET", `/v1/chunks/${unknown}`, { ip }), 404, "not_found");
    expectProblem(await api("GET", `/v1/chunks/${unknown}/meta`, { ip }), 404, "not_found");
  });
});

describe("storage proofs, audits and repair", () => {
  it("challenge errors: unknown node 404, no replica 404, leaf out of range 400, strict body 400", async () => {
    const me = await newIdentity();
    const { cid, replicas } = (await putChunk(me, randomBytes(5000), { ip })).body;
    const holder = replicas[0].node;
    const nodes: string[] = (await api("GET", "/v1/storage/nodes", { ip })).body.nodes.map((n: any) => n.id);
    const nonHolder = nodes.find((n) => !replicas.some((r: any) => r.node === n))!;
    expectProblem(await api("POST", "/v1/storage/nodes/node-99/challenge", { body: { cid, leafIndex: 0 }, ip }), 404, "not_found");
    expectProblem(await api("POST", "/v1/storage/nodes/nope/challenge", { body: { cid, leafIndex: 0 }, ip }), 400, "validation_failed");
    expectProblem(await api("POST", `/v1/storage/nodes/${nonHolder}/challenge`, { body: { cid, leafIndex: 0 }, ip }), 404, "not_found");
    expectProblem(await api("POST", `/v1/storage/nodes/${holder}/challenge`, { body: { cid, leafIndex: 2 }, ip }), 400, "validation_failed");
    expectProblem(await api("POST", `/v1/storage/nodes/${holder}/challenge`, { body: { cid, leafIndex: 0, x: 1 }, ip }), 400, "validation_failed");
    expectProblem(await api("POST", `/v1/storage/nodes/${holder}/challenge`, { body: { cid: "bad", leafIndex: 0 }, ip }), 400, "validation_failed");
    expect((await api("POST", `/v1/storage/nodes/${holder}/challenge`, { body: { cid, leafIndex: 1 }, ip })).status).toBe(200);
  });

  it("drop one replica and corrupt another: an audit round detects both, repair restores 3 healthy replicas, GET serves correct bytes, proofs verify", async () => {
    const me = await newIdentity();
    const bytes = randomBytes(3 * 4096 + 123);
    const { cid, replicas, merkleRoot } = (await putChunk(me, bytes, { ip })).body;
    const [dropped, corrupted, healthy] = replicas.map((r: any) => r.node) as [string, string, string];
    expect((await api("POST", "/v1/admin/faults", { body: { dropReplica: { cid, node: dropped } }, headers: ADMIN, ip })).status).toBe(200);
    expect((await api("POST", "/v1/admin/faults", { body: { corruptReplica: { cid, node: corrupted } }, headers: ADMIN, ip })).status).toBe(200);

    // The corrupted replica now yields proofs that fail against the recorded root.
    const n = leafCountFor(bytes.length);
    const bad = await api("POST", `/v1/storage/nodes/${corrupted}/challenge`, { body: { cid, leafIndex: 0 }, ip });
    expect(bad.status).toBe(200);
    expect(verifyProof(merkleRoot, 0, n, fromBase64(bad.body.leaf), bad.body.proof)).toBe(false);

    const round = await api("POST", "/v1/admin/storage/audit", { headers: ADMIN, ip });
    expect(round.status).toBe(200);
    const mine = round.body.results.filter((r: any) => r.cid === cid);
    expect(mine).toHaveLength(3);
    expect(mine.find((r: any) => r.node === dropped)).toMatchObject({ ok: false, reason: "missing_replica" });
    expect(mine.find((r: any) => r.node === corrupted)).toMatchObject({ ok: false, reason: "invalid_proof" });
    expect(mine.find((r: any) => r.node === healthy)).toMatchObject({ ok: true });
    const block = (await api("GET", "/v1/blocks/latest", { ip })).body;
    expect(round.body.beacon).toMatch(/^[0-9a-f]{64}$/);
    expect(round.body.height).toBeLessThanOrEqual(block.height);
    expect(round.body.failed).toBeGreaterThanOrEqual(2);
    const repairs = round.body.repairs.filter((r: any) => r.cid === cid);
    expect(repairs).toHaveLength(2);
    for (const r of repairs) expect(r.from).toBe(healthy);

    const meta = (await api("GET", `/v1/chunks/${cid}/meta`, { ip })).body;
    expect(meta.replicas).toHaveLength(3);
    expect(meta.replicas.every((r: any) => r.status === "ok")).toBe(true);
    expect(meta.replicas.map((r: any) => r.node)).not.toContain(dropped);
    expect(meta.replicas.map((r: any) => r.node)).not.toContain(corrupted);
    expect(await r2Replicas(cid)).toHaveLength(3);
    const got = await getChunkBytes(cid);
    expect(got.status).toBe(200);
    expect(same(got.bytes, bytes)).toBe(true);
    await proveAll(cid);

    const nodes = (await api("GET", "/v1/storage/nodes", { ip })).body.nodes;
    for (const id of [dropped, corrupted]) expect(nodes.find((x: any) => x.id === id).auditPassRate).toBeLessThan(1);
    const audits = (await api("GET", "/v1/storage/audits", { ip })).body;
    expect(audits.rounds[0].id).toBe(round.body.id);
  });

  it("GET skips a dropped and a corrupted replica, serves correct bytes and flags both; the next audit repairs them", async () => {
    const me = await newIdentity();
    const bytes = randomBytes(6000);
    const { cid, replicas } = (await putChunk(me, bytes, { ip })).body;
    const [a, b] = replicas.map((r: any) => r.node) as [string, string];
    await api("POST", "/v1/admin/faults", { body: { dropReplica: { cid, node: a }, corruptReplica: { cid, node: b } }, headers: ADMIN, ip });
    const got = await getChunkBytes(cid);
    expect(got.status).toBe(200);
    expect(same(got.bytes, bytes)).toBe(true);
    const flagged = (await api("GET", `/v1/chunks/${cid}/meta`, { ip })).body.replicas;
    expect(flagged.filter((r: any) => r.status === "bad").map((r: any) => r.node).sort()).toEqual([a, b].sort());

    const round = await api("POST", "/v1/admin/storage/audit", { body: { cids: [cid] }, headers: ADMIN, ip });
    expect(round.status).toBe(200);
    expect(round.body.repairs.filter((r: any) => r.cid === cid)).toHaveLength(2);
    const meta = (await api("GET", `/v1/chunks/${cid}/meta`, { ip })).body;
    expect(meta.replicas.filter((r: any) => r.status === "ok")).toHaveLength(3);
    expect(meta.replicas).toHaveLength(3);
    await proveAll(cid);
  });

  it("a chunk read just before its replicas fail (its index entry cached by the reader) is served from the good one; none good → 503 chunk_unavailable", async () => {
    const me = await newIdentity();
    const bytes = randomBytes(5000);
    const { cid, replicas } = (await putChunk(me, bytes, { ip })).body;
    const [a, b, c] = replicas.map((r: any) => r.node) as [string, string, string];
    expect(same((await getChunkBytes(cid)).bytes, bytes)).toBe(true);
    await api("POST", "/v1/admin/faults", { body: { dropReplica: { cid, node: a }, corruptReplica: { cid, node: b } }, headers: ADMIN, ip });
    for (let i = 0; i < 3; i++) {
      const got = await getChunkBytes(cid);
      expect(got.status).toBe(200);
      expect(same(got.bytes, bytes)).toBe(true);
    }
    const flagged = (await api("GET", `/v1/chunks/${cid}/meta`, { ip })).body.replicas;
    expect(flagged.filter((r: any) => r.status === "bad").map((r: any) => r.node).sort()).toEqual([a, b].sort());
    await api("POST", "/v1/admin/faults", { body: { dropReplica: { cid, node: c } }, headers: ADMIN, ip });
    expectProblem(await api("GET", `/v1/chunks/${cid}`, { ip }), 503, "chunk_unavailable");
  });

  it("the auditor is alarm-driven: a stored chunk arms it, the alarm runs a round and re-arms", async () => {
    const me = await newIdentity();
    expect((await putChunk(me, randomBytes(2000), { ip })).status).toBe(201);
    const auditor = env.STORAGE_AUDITOR.getByName("auditor");
    const before = (await api("GET", "/v1/storage/audits", { ip })).body.rounds[0]?.id ?? 0;
    expect(await runDurableObjectAlarm(auditor)).toBe(true);
    const after = (await api("GET", "/v1/storage/audits", { ip })).body.rounds;
    expect(after[0].id).toBeGreaterThan(before);
    expect(after[0].checked).toBeGreaterThanOrEqual(3);
    expect(await runDurableObjectAlarm(auditor)).toBe(true); // re-armed
  });

  it("admin audit needs the bearer token; faults reject unknown replicas and keep the existing settings working", async () => {
    expectProblem(await api("POST", "/v1/admin/storage/audit", { ip }), 401, "unauthorized");
    expectProblem(await api("POST", "/v1/admin/storage/audit", { body: { cids: ["x"] }, headers: ADMIN, ip }), 400, "validation_failed");
    const unknown = await cidForBytes(randomBytes(10));
    expectProblem(await api("POST", "/v1/admin/faults", { body: { dropReplica: { cid: unknown, node: "node-0" } }, headers: ADMIN, ip }), 404, "not_found");
    const set = await api("POST", "/v1/admin/faults", { body: { witnessInboxFailRate: 0 }, headers: ADMIN, ip });
    expect(set.body).toEqual({ witnessInboxFailRate: 0 });
    await api("POST", "/v1/admin/faults", { body: {}, headers: ADMIN, ip });
  });
});

describe("witness rule missing_chunk", () => {
  it("a content.post referencing an unstored chunk is rejected missing_chunk; with stored chunks it is attested", async () => {
    const me = await newIdentity();
    const { cid } = (await putChunk(me, randomBytes(700), { ip })).body;
    const unknown = await cidForBytes(randomBytes(700));
    const good = await submit(await signedEvent(me, "content.post", { text: "with a chunk", chunks: [cid] }), ip);
    const bad = await submit(await signedEvent(me, "content.post", { text: "with a missing chunk", chunks: [cid, unknown] }), ip);
    expect(good.status).toBe(202);
    expect(bad.status).toBe(202);
    const rejected = await waitForStatus(bad.body.id, ["rejected"]);
    expect(rejected.body.reason).toBe("missing_chunk");
    await waitForStatus(good.body.id, ["attested", "applied"]);
  });
});
