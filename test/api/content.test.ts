// Content, interactions, timelines and search through the API.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { api, expectProblem, freshIp, newIdentity, signedEvent, submit, until, type Identity } from "../helpers/client";
import { waitFinal } from "../helpers/ledger";
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../../src/workers/index";

const ip = freshIp();

async function publish(who: Identity, body: Record<string, unknown>): Promise<string> {
  const r = await submit(await signedEvent(who, "content.post", body), ip);
  expect(r.status).toBe(202);
  const done = await waitFinal(r.body.id);
  expect(done.body.status).toBe("applied");
  return r.body.id;
}

async function act(who: Identity, kind: string, body: Record<string, unknown>) {
  const r = await submit(await signedEvent(who, kind, body), ip);
  expect(r.status).toBe(202);
  return waitFinal(r.body.id);
}

const search = (qs: string) => api("GET", `/v1/search?${qs}`, { ip });

describe("content and interactions", () => {
  it("a post reads back; views, likes, shares and comments count exactly; deletes leave a tombstone", async () => {
    const alice = await newIdentity();
    const bob = await newIdentity();
    const id = await publish(alice, { title: "Hello", text: "first post body", tags: ["intro"], lang: "en" });
    const got = await api("GET", `/v1/content/${id}`, { ip });
    expect(got.body).toMatchObject({ id, author: alice.did, title: "Hello", text: "first post body", tags: ["intro"], lang: "en", chunks: [], status: "live", stats: { views: 0, likes: 0, comments: 0, shares: 0 } });
    expect(got.body.block).toBeGreaterThan(0);

    const acts = await Promise.all(["interaction.view", "interaction.view", "interaction.like", "interaction.share"].map((kind) => act(bob, kind, { target: id })));
    expect(acts.map((a) => a.body.status)).toEqual(["applied", "applied", "applied", "applied"]);
    const c1 = await act(bob, "interaction.comment", { target: id, text: "nice one" });
    const c2 = await act(alice, "interaction.comment", { target: id, text: "thanks" });
    expect((await api("GET", `/v1/content/${id}`, { ip })).body.stats).toEqual({ views: 2, likes: 1, comments: 2, shares: 1 });

    const page1 = await api("GET", `/v1/content/${id}/comments?limit=1`, { ip });
    expect(page1.body.comments).toEqual([{ id: c2.body.id, author: alice.did, text: "thanks", createdAt: expect.any(String), block: expect.any(Number) }]);
    const page2 = await api("GET", `/v1/content/${id}/comments?limit=1&cursor=${page1.body.nextCursor}`, { ip });
    expect(page2.body.comments.map((c: any) => c.id)).toEqual([c1.body.id]);
    expect(page2.body.nextCursor).toBeUndefined();

    // Only the author deletes.
    expect((await act(bob, "content.delete", { target: id })).body).toMatchObject({ status: "rejected", reason: "not_author" });
    expect((await act(alice, "content.delete", { target: id })).body.status).toBe("applied");
    const gone = await api("GET", `/v1/content/${id}`, { ip });
    expect(gone.body).toMatchObject({ id, author: alice.did, status: "deleted", text: "", title: null, tags: [] });
    // Interactions with deleted or unknown content are rejected by the witnesses.
    const [likeDeleted, likeUnknown, deleteAgain] = await Promise.all([
      act(bob, "interaction.like", { target: id }),
      act(bob, "interaction.like", { target: "ab".repeat(32) }),
      act(alice, "content.delete", { target: id }),
    ]);
    expect(likeDeleted.body).toMatchObject({ status: "rejected", reason: "target_deleted" });
    expect(likeUnknown.body).toMatchObject({ status: "rejected", reason: "target_not_found" });
    expect(deleteAgain.body).toMatchObject({ status: "rejected", reason: "target_deleted" });
  });

  it("200 concurrent likes from distinct accounts count exactly 200; a repeated like counts once", async () => {
    const author = await newIdentity();
    const id = await publish(author, { text: "like me" });
    const fans = await Promise.all(Array.from({ length: 200 }, () => newIdentity()));
    const likes = await Promise.all(fans.map((f) => signedEvent(f, "interaction.like", { target: id })));
    const again = await signedEvent(fans[0]!, "interaction.like", { target: id }); // same account, new event
    const results = await Promise.all([...likes, again].map((e) => submit(e, ip)));
    expect(results.every((r) => r.status === 202)).toBe(true);
    await until(
      async () => Promise.all(results.map((r) => api("GET", `/v1/events/${r.body.id}`, { ip }))),
      (rs) => rs.every((r) => r.body.status === "applied"),
      60_000,
      "201 likes to apply",
    );
    expect((await api("GET", `/v1/content/${id}`, { ip })).body.stats.likes).toBe(200);
  });

  it("author timelines: newest first across shards, with cursors; deleted posts drop out", async () => {
    const alice = await newIdentity();
    const ids: string[] = [];
    // Sequential submissions, each applied before the next: their order is their sequence.
    for (let i = 0; i < 5; i++) ids.push(await publish(alice, { text: `timeline post ${i}` }));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const r = await api("GET", `/v1/accounts/${alice.did}/content?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { ip });
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((p: any) => p.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    await act(alice, "content.delete", { target: ids[2] });
    const after = await api("GET", `/v1/accounts/${alice.did}/content`, { ip });
    expect(after.body.items.map((p: any) => p.id)).toEqual([ids[4], ids[3], ids[1], ids[0]]);
    expectProblem(await api("GET", `/v1/accounts/${alice.did}/content?cursor=zzz`, { ip }), 400, "validation_failed");
    expectProblem(await api("GET", `/v1/accounts/${alice.did}/content?limit=0`, { ip }), 400, "validation_failed");
    expectProblem(await api("GET", `/v1/content/${"0".repeat(64)}`, { ip }), 404, "not_found");
    expectProblem(await api("GET", `/v1/content/xyz/comments`, { ip }), 400, "validation_failed");
  });
});

describe("search", () => {
  it("finds a post soon after it applies, and no longer after it is deleted", async () => {
    const alice = await newIdentity();
    const word = `zebra${Date.now().toString(36)}`;
    const id = await publish(alice, { title: "Striped animals", text: `The ${word} crossed the savanna at dawn`, tags: ["wildlife"] });
    const found = await until(() => search(`q=${word}`), (r) => r.body.results?.length === 1, 15_000, "the post to be searchable");
    expect(found.body.results[0]).toMatchObject({ id, author: alice.did, title: "Striped animals", tags: ["wildlife"], createdAt: expect.any(String) });
    expect(found.body.results[0].score).toBeGreaterThan(0);
    expect(found.body.results[0].snippet).toContain(`[${word}]`);
    expect((await search(`q=${word.slice(0, 7)}*`)).body.results.map((r: any) => r.id)).toContain(id);
    expect((await search(`q="savanna at dawn"`)).body.results.map((r: any) => r.id)).toContain(id);
    expect((await search(`q="dawn at savanna" ${word}`)).body.results).toEqual([]);
    await act(alice, "content.delete", { target: id });
    await until(() => search(`q=${word}`), (r) => r.body.results?.length === 0, 15_000, "the post to leave the index");
  });

  it("snippets mark the match wherever it is in a long text", async () => {
    const alice = await newIdentity();
    const early = `early${Date.now().toString(36)}`;
    const late = `late${Date.now().toString(36)}`;
    const filler = Array.from({ length: 900 }, (_, i) => `filler${i % 37}`).join(" "); // well beyond the head column
    const id = await publish(alice, { text: `${early} opens the post. ${filler} and ${late} closes it` });
    const a = await until(() => search(`q=${early}`), (r) => r.body.results?.length === 1, 15_000, "the long post to be searchable");
    expect(a.body.results[0].id).toBe(id);
    expect(a.body.results[0].snippet).toContain(`[${early}]`);
    const b = await search(`q=${late}`);
    expect(b.body.results.map((r: any) => r.id)).toEqual([id]);
    expect(b.body.results[0].snippet).toContain(`[${late}]`);
    // Both words: one document, both columns, same score as a single index would give it.
    const both = await search(`q=${early}+${late}`);
    expect(both.body.results.map((r: any) => r.id)).toEqual([id]);
  });

  it("author and tag filters and cursors work across shards", async () => {
    const [alice, bob] = await Promise.all([newIdentity(), newIdentity()]);
    const word = `quokka${Date.now().toString(36)}`;
    const posts: string[] = [];
    for (let i = 0; i < 12; i++) {
      const who = i % 3 === 0 ? bob : alice;
      const r = await submit(await signedEvent(who, "content.post", { text: `${word} sighting number ${i} ${"happy ".repeat(i % 4)}`, tags: i % 2 ? ["odd"] : ["even"] }), ip);
      posts.push(r.body.id);
    }
    await until(() => search(`q=${word}&limit=50`), (r) => r.body.results?.length === 12, 30_000, "12 posts indexed");
    // Cursor pagination returns every hit once, in score order.
    const pages: any[] = [];
    let cursor: string | undefined;
    do {
      const r = await search(`q=${word}&limit=5${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      pages.push(...r.body.results);
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.id).sort()).toEqual([...posts].sort());
    for (let i = 1; i < pages.length; i++) expect(pages[i - 1].score).toBeGreaterThanOrEqual(pages[i].score);
    const byBob = await search(`q=${word}&author=${bob.did}&limit=50`);
    expect(byBob.body.results.map((r: any) => r.id).sort()).toEqual(posts.filter((_, i) => i % 3 === 0).sort());
    const odd = await search(`q=${word}&tag=odd&limit=50`);
    expect(odd.body.results.map((r: any) => r.id).sort()).toEqual(posts.filter((_, i) => i % 2 === 1).sort());
  });

  it("concurrent searches each get exactly the answer they get alone", async () => {
    // Concurrent searches share coalesced shard RPCs in both rounds (ranking; fields and
    // snippets): every caller must still get its own answer, field for field.
    const [alice, bob] = await Promise.all([newIdentity(), newIdentity()]);
    const tag = Date.now().toString(36);
    const words = ["heron", "otter", "lynx", "badger", "marten"].map((w) => `${w}${tag}`);
    const ids = await Promise.all(
      Array.from({ length: 15 }, async (_, i) => {
        const who = i % 2 ? bob : alice;
        const text = `${words[i % 5]} and ${words[(i + 1) % 5]} seen ${"again ".repeat(i % 4)}at dusk k${tag} ${i}`;
        const r = await submit(await signedEvent(who, "content.post", { title: `note ${i}`, text, tags: [i % 3 ? "field" : "river"] }), ip);
        expect(r.status).toBe(202);
        return r.body.id as string;
      }),
    );
    await until(() => search(`q=k${tag}&limit=50`), (r) => r.body.results?.length === 15, 30_000, "15 posts indexed");
    const queries = [
      ...words.map((w) => `q=${w}`),
      ...words.map((w, i) => `q=${w}+${words[(i + 1) % 5]}&limit=3`),
      `q=seen+k${tag}&author=${bob.did}`,
      `q=k${tag}&tag=river`,
      `q="at dusk"+k${tag}&limit=20`,
      `q=k${tag}&limit=7`,
      `q=seen+k${tag}&tag=field&limit=4`,
    ];
    const alone: Awaited<ReturnType<typeof search>>[] = [];
    for (const q of queries) alone.push(await search(q));
    const together = await Promise.all([...queries, ...queries].map((q) => search(q)));
    together.forEach((r, k) => {
      expect(r.status).toBe(200);
      expect(r.body, queries[k % queries.length]).toEqual(alone[k % queries.length]!.body);
    });
    expect(alone.every((r) => r.body.results.length > 0)).toBe(true);
    expect(new Set(alone.flatMap((r) => r.body.results.map((x: any) => x.id)))).toEqual(new Set(ids));
  });

  it("index-updates redelivery is idempotent and a late upsert never resurrects a deleted post", async () => {
    const word = `wombat${Date.now().toString(36)}`;
    const doc = (id: string) => ({ op: "upsert", id, author: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", title: "t", text: `${word} burrow`, tags: [], lang: null, createdAt: new Date().toISOString(), seq: 1 });
    const deliver = async (bodies: unknown[]) => {
      const batch = createMessageBatch("index-updates", bodies.map((body, i) => ({ id: `r${i}`, timestamp: new Date(), attempts: 1, body })));
      const ctx = createExecutionContext();
      await worker.queue(batch as MessageBatch<unknown>, env, ctx);
      return getQueueResult(batch, ctx);
    };
    const a = "a1".repeat(32);
    const b = "b2".repeat(32);
    await deliver([doc(a), doc(a), doc(b)]);
    await deliver([doc(a)]);
    expect((await search(`q=${word}`)).body.results.map((r: any) => r.id).sort()).toEqual([a, b]);
    await deliver([{ op: "delete", id: a }, { op: "delete", id: a }]);
    await deliver([doc(a)]); // late redelivery of the upsert
    expect((await search(`q=${word}`)).body.results.map((r: any) => r.id)).toEqual([b]);
    const malformed = await deliver([{ op: "upsert", id: "nope" }]);
    expect(malformed.explicitAcks).toEqual(["r0"]); // dropped loudly, never retried forever
  });

  it("empty, oversized and malformed queries are 400; FTS5 syntax in user input is inert", async () => {
    for (const qs of ["q=", "q=%20%20", `q=${"a".repeat(300)}`, "", "q=***", "q=ok&limit=0", "q=ok&limit=51", "q=ok&cursor=abc", "q=ok&author=bob", "q=ok&bogus=1", `q=${Array(20).fill("w").join("+")}`]) {
      expectProblem(await search(qs), 400, "validation_failed");
    }
    for (const q of ['NEAR(a b)', 'a OR b', '"unterminated', "col:value", "a AND", "(x", "^start", "a-b-c", "emoji 🦘"]) {
      const r = await search(`q=${encodeURIComponent(q)}`);
      expect(r.status, q).toBe(200);
    }
  });

  it("fast-check: no query string yields a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 300 }), fc.option(fc.string({ maxLength: 20 })), async (q, cursor) => {
        const qs = `q=${encodeURIComponent(q)}${cursor !== null ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const r = await search(qs);
        expect(r.status).toBeLessThan(500);
        if (r.status >= 400) expect(r.body.code).toBe("validation_failed");
      }),
      { numRuns: 300 },
    );
  });
});
