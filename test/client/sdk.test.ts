// The client SDK against the real Worker (injectable fetch → the Worker's fetch handler).
import { describe, expect, it } from "vitest";
import {
  EchoNetClient,
  EchoNetError,
  exportIdentity,
  generateIdentity,
  importIdentity,
  isNotAvailable,
  echoToUnits,
  unitsToEcho,
  type SignedEvent,
} from "../../src/client";
import { testClient, TEST_ADMIN_TOKEN } from "./worker-fetch";

describe("SDK: identities and units", () => {
  it("exports and re-imports an identity that signs the same did", async () => {
    const id = await generateIdentity();
    expect(id.did).toMatch(/^did:key:z6Mk/);
    const json = await exportIdentity(id);
    const back = await importIdentity(JSON.parse(JSON.stringify(json)));
    expect(back.did).toBe(id.did);
    const a = await testClient({ identity: back }).sign("content.post", { text: "x" }, { nonce: "n1", createdAt: "2026-01-01T00:00:00.000Z" });
    const b = await testClient({ identity: id }).sign("content.post", { text: "x" }, { nonce: "n1", createdAt: "2026-01-01T00:00:00.000Z" });
    expect(a.id).toBe(b.id);
    await expect(importIdentity({ ...json, publicKey: (await exportIdentity(await generateIdentity())).publicKey })).rejects.toThrow(/does not match/);
  });

  it("converts ECHO and base units exactly", () => {
    expect(echoToUnits("1.5")).toBe("1500000");
    expect(echoToUnits("0.000001")).toBe("1");
    expect(echoToUnits("12")).toBe("12000000");
    expect(unitsToEcho("1500000")).toBe("1.5");
    expect(unitsToEcho("1")).toBe("0.000001");
    expect(() => echoToUnits("1.0000001")).toThrow(TypeError);
    expect(() => echoToUnits("-1")).toThrow(TypeError);
  });
});

describe("SDK: events, receipts, ledger, search", () => {
  it("posts, likes and transfers, waits for final statuses and verifies receipts offline", async () => {
    const alice = await generateIdentity();
    const bob = await generateIdentity();
    const c = testClient({ identity: alice, adminToken: TEST_ADMIN_TOKEN });

    const minted = await c.admin.mint(alice.did, "5000000");
    expect((await c.waitFor(minted.id)).status).toBe("applied");

    const word = `sdkword${crypto.randomUUID().slice(0, 8)}`;
    const p = await c.post({ title: "SDK post", text: `hello from the sdk ${word}`, tags: ["sdk"] });
    expect(p.status).toBe("pending");
    const seen: string[] = [];
    const rec = await p.wait({ onStatus: (s) => seen.push(s) });
    expect(rec.status).toBe("applied");
    expect(seen.at(-1)).toBe("applied");

    const v = await c.verifyReceipt(p.id);
    expect(v.errors).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.record.receipt?.block).toBeTypeOf("number");

    // A receipt with a forged attestation fails verification.
    const forged = structuredClone(v.record);
    forged.receipt!.attestations[0]!.sig = forged.receipt!.attestations[1]!.sig;
    expect((await c.verifyReceipt(forged)).ok).toBe(false);

    // Resubmitting is idempotent: the current status, same id.
    const again = await c.submit(rec.event as SignedEvent);
    expect(again).toMatchObject({ id: p.id, status: "applied" });

    const like = await c.as(bob).like(p.id);
    const t = await c.transfer(bob.did, "1500000", "thanks");
    const [likeRec, tRec] = await Promise.all([like.wait(), t.wait()]);
    expect(likeRec.status).toBe("applied");
    expect(tRec.status).toBe("applied");

    const acct = await c.as(bob).balance();
    expect(acct.balance).toBe("1500000");
    expect((await c.account(alice.did)).balance).toBe("3500000");
    expect((await c.content(p.id)).stats.likes).toBe(1);
    const supply = await c.supply();
    expect(BigInt(supply.minted) - BigInt(supply.burned)).toBe(BigInt(supply.circulating) + BigInt(supply.escrowed) + BigInt(supply.inFlight));

    const blocks = await c.latestBlocks(3);
    expect(blocks[0]!.height).toBeGreaterThanOrEqual(rec.receipt!.block!);
    for (let i = 1; i < blocks.length; i++) expect(blocks[i]!.height).toBe(blocks[i - 1]!.height - 1);
    expect((await c.block(rec.receipt!.block!)).events).toContain(p.id);

    const found = await pollSearch(c, word);
    expect(found.results[0]!.id).toBe(p.id);
    expect((await c.authorContent(alice.did)).items.map((x) => x.id)).toContain(p.id);
  }, 120_000);

  it("a transfer beyond the balance ends failed insufficient_balance", async () => {
    const poor = await generateIdentity();
    const c = testClient({ identity: poor });
    const rec = await (await c.transfer((await generateIdentity()).did, "1")).wait();
    expect(rec.status).toBe("failed");
    expect(rec.reason).toBe("insufficient_balance");
  });

  it("waitFor gives up at its deadline with a timeout error", async () => {
    const c = testClient({ identity: await generateIdentity() });
    const p = await c.post({ text: "wait for something that never comes" });
    const err = await c.waitFor(p.id, { until: ["rejected"], timeoutMs: 200 }).catch((e) => e);
    expect(err).toBeInstanceOf(EchoNetError);
    expect(err.code).toBe("timeout");
  });
});

describe("SDK: errors are typed problem+json", () => {
  it("maps validation, signature, not-found and auth failures to EchoNetError codes", async () => {
    const me = await generateIdentity();
    const c = testClient({ identity: me });

    const bad = await c.send("content.post", { text: "" } as never).catch((e) => e);
    expect(bad).toBeInstanceOf(EchoNetError);
    expect(bad.code).toBe("validation_failed");
    expect(bad.status).toBe(400);
    expect(bad.errors.length).toBeGreaterThan(0);
    expect(bad.describe()).toMatch(/body\.text/);

    const { event } = await c.sign("content.post", { text: "tampered" });
    const tampered = { ...event, body: { text: "changed after signing" } } as SignedEvent;
    expect((await c.submit(tampered).catch((e) => e)).code).toBe("invalid_signature");

    const stale = await c.send("content.post", { text: "old" }, { createdAt: "2020-01-01T00:00:00.000Z" }).catch((e) => e);
    expect(stale.code).toBe("stale_event");
    expect(stale.status).toBe(422);

    const missing = await c.event("0".repeat(64)).catch((e) => e);
    expect(missing.code).toBe("not_found");
    expect(isNotAvailable(missing)).toBe(false);

    const noAdmin = await testClient({ adminToken: "wrong" }).admin.mint(me.did, "1").catch((e) => e);
    expect(noAdmin.code).toBe("unauthorized");
    expect(noAdmin.status).toBe(401);

    const noIdentity = await testClient().post({ text: "x" }).catch((e) => e);
    expect(noIdentity.code).toBe("no_identity");
  });

  it("recognizes endpoints that this deployment does not have", async () => {
    const c = testClient();
    const e = await c.raw("GET", "/v1/no-such-capability").catch((x) => x);
    expect(e.code).toBe("not_found");
    expect(isNotAvailable(e)).toBe(true);
  });
});

describe("SDK: storage", () => {
  it("uploads a multi-chunk file with progress, reads it back verified and checks a storage proof", async () => {
    const me = await generateIdentity();
    const c = testClient({ identity: me });
    const data = new Uint8Array(10_000);
    crypto.getRandomValues(data);
    const progress: number[] = [];
    const up = await c.upload(data, { chunkSize: 4096, onProgress: (p) => progress.push(p.uploadedBytes) });
    expect(up.chunks.length).toBe(3);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(10_000);
    const back = new Uint8Array(0);
    const parts = await Promise.all(up.chunks.map((ch) => c.chunk(ch.cid)));
    expect(parts.reduce((n, p) => n + p.length, back.length)).toBe(10_000);
    expect(parts[0]).toEqual(data.subarray(0, 4096));

    expect(await c.chunkRange(up.chunks[0]!.cid, 10, 19)).toEqual(data.subarray(10, 20));
    expect(await c.chunkInfo(up.chunks[2]!.cid)).toEqual({ exists: true, size: 10_000 - 8192 });
    expect((await c.chunkInfo("bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")).exists).toBe(false);

    // Re-uploading is idempotent (200, same body).
    expect((await c.uploadChunk(data.subarray(0, 4096))).cid).toBe(up.chunks[0]!.cid);

    const meta = await c.chunkMeta(up.chunks[0]!.cid);
    expect(meta.owner).toBe(me.did);
    const v = await c.verifyStorage(meta.replicas[0]!.node, meta.cid, 0);
    expect(v.ok).toBe(true);
    expect((await c.storageNodes()).nodes.length).toBeGreaterThan(0);
    expect((await c.storageUsage(me.did)).usedBytes).toBe(10_000);

    const unsigned = await testClient().uploadChunk(data).catch((e) => e);
    expect(unsigned.code).toBe("no_identity");
  });
});

async function pollSearch(c: ReturnType<typeof testClient>, q: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await c.search(q);
    if (r.results.length > 0) return r;
    if (Date.now() > deadline) throw new Error(`no search result for ${q}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe("SDK: transport failures", () => {
  it("turns thrown fetches, non-problem answers and non-JSON bodies into EchoNetErrors", async () => {
    const down = new EchoNetClient({ url: "http://nowhere.test", fetch: async () => Promise.reject(new TypeError("connection refused")) });
    const e1 = await down.status().catch((e) => e);
    expect(e1).toBeInstanceOf(EchoNetError);
    expect(e1.code).toBe("network_error");
    expect(e1.status).toBe(0);

    const proxy = new EchoNetClient({ url: "http://proxy.test", fetch: async () => new Response("<html>bad gateway</html>", { status: 502, headers: { "retry-after": "7" } }) });
    const e2 = await proxy.health().catch((e) => e);
    expect(e2.code).toBe("http_error");
    expect(e2.status).toBe(502);
    expect(e2.retryAfter).toBe(7);

    const html = new EchoNetClient({ url: "http://html.test", fetch: async () => new Response("<html>ok</html>", { status: 200 }) });
    expect((await html.health().catch((e) => e)).code).toBe("bad_response");

    const limited = new EchoNetClient({
      url: "http://limited.test",
      fetch: async () =>
        new Response(JSON.stringify({ type: "t", title: "Too many requests", status: 429, detail: "slow down", code: "rate_limited" }), {
          status: 429,
          headers: { "content-type": "application/problem+json", "retry-after": "10" },
        }),
    });
    const e3 = await limited.search("x").catch((e) => e);
    expect(e3.code).toBe("rate_limited");
    expect(e3.retryAfter).toBe(10);
    expect(e3.describe()).toMatch(/retry after 10 s/);
  });

  it("ends a request that never answers at its deadline; a GET is tried again, a POST is not", async () => {
    // A fetch that never settles and ignores the abort signal: only the client's own timer ends it.
    let calls = 0;
    const silent = new EchoNetClient({ url: "http://silent.test", timeoutMs: 50, retries: 2, fetch: () => (calls++, new Promise<Response>(() => {})) });
    const e1 = await silent.status().catch((e) => e);
    expect(e1).toBeInstanceOf(EchoNetError);
    expect(e1.code).toBe("timeout");
    expect(e1.detail).toMatch(/GET http:\/\/silent\.test\/v1\/status: no answer in 50 ms/);
    expect(calls).toBe(3);
    calls = 0;
    const id = await generateIdentity();
    const e2 = await silent.as(id).post({ text: "never answered" }).catch((e) => e);
    expect(e2.code).toBe("timeout");
    expect(calls).toBe(1);

    // Headers arrive but the body never ends: the deadline covers reading it.
    const stalled = new EchoNetClient({
      url: "http://stalled.test",
      timeoutMs: 50,
      retries: 0,
      fetch: async () => new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode("{")) }), { status: 200 }),
    });
    expect((await stalled.health().catch((e) => e)).code).toBe("timeout");

    // The first exchange stalls, the second answers: the GET succeeds, and the stalled one was aborted.
    const signals: AbortSignal[] = [];
    const retried: string[] = [];
    let n = 0;
    const flaky = new EchoNetClient({
      url: "http://flaky.test",
      timeoutMs: 50,
      onRetry: (r) => retried.push(`${r.method} ${r.path} #${r.attempt} ${r.error.code}`),
      fetch: (_input, init) => {
        signals.push(init!.signal!);
        return n++ === 0 ? new Promise<Response>(() => {}) : Promise.resolve(Response.json({ ok: true, time: "t" }));
      },
    });
    expect(await flaky.health()).toEqual({ ok: true, time: "t" });
    expect(signals.map((s) => s.aborted)).toEqual([true, false]);
    expect(retried).toEqual(["GET /v1/health #1 timeout"]);
  });
});
