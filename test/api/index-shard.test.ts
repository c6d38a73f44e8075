// IndexShard read caches against writes: a delete or a reused rowid never lets a cached
// ranking, phrase list or document answer for content that is gone.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import type { IndexUpdate } from "../../src/content/ops";
import type { PageRequest } from "../../src/durable-objects/IndexShard";

const hex = (n: number) => n.toString(16).padStart(64, "0");
const post = (n: number, text: string, extra: Partial<IndexUpdate & { op: "upsert" }> = {}): IndexUpdate => ({
  op: "upsert", id: hex(n), author: "did:key:z6MkA", title: `post ${n}`, text, tags: ["t"], lang: null, createdAt: "2026-11-27T00:00:00.000Z", seq: n, ...extra,
});

type Fields = { author: string; title: string; createdAt: string; tags: string[]; snippet: string };
type Shard = { queryMany(q: unknown[]): Promise<unknown[]>; pageMany(r: PageRequest[]): Promise<Record<number, Fields>[]> };

async function top(shard: Shard, phrases: string[], extra: Record<string, unknown> = {}) {
  const [a] = (await shard.queryMany([{ phrases, limit: 10, ...extra }])) as ({ error: string } | undefined)[];
  if (!a || "error" in a) throw new Error(String(a?.error));
  return a as { hits: number[]; docs: number; rows: { rowid: number; id: string; b: number }[] };
}

describe("IndexShard caches", () => {
  it("a deleted last row whose rowid SQLite reuses never answers with the old document", async () => {
    const stub = env.INDEX_SHARD.getByName("cache-rowid-reuse");
    const shard = stub as unknown as Shard;
    await stub.apply([post(1, "apple banana"), post(2, "apple cherry")]);
    const before = await top(shard, ['"apple"']);
    expect(before.rows.map((r) => r.id).sort()).toEqual([hex(1), hex(2)]);
    expect(before.hits).toEqual([2]);
    await stub.apply([{ op: "delete", id: hex(2) }]); // the highest rowid: the next insert may reuse it
    expect((await top(shard, ['"apple"'])).rows.map((r) => r.id)).toEqual([hex(1)]);
    await stub.apply([post(3, "apple durian", { title: "third" })]);
    const after = await top(shard, ['"apple"']);
    const [fields] = await shard.pageMany([{ match: '"apple"', phrases: ['"apple"'], rows: after.rows.map((r) => ({ rowid: r.rowid, id: r.id })) }]);
    expect(after.rows.map((r) => [r.id, fields![r.rowid]!.title]).sort()).toEqual([[hex(1), "post 1"], [hex(3), "third"]]);
    expect(after.rows.map((r) => fields![r.rowid]!.snippet).sort()).toEqual(["[apple] banana", "[apple] durian"]);
    // A page round that still names the deleted post under the rowid it had (which SQLite may
    // have given to post 3) gets nothing for it, never post 3's fields.
    const gone = before.rows.find((r) => r.id === hex(2))!;
    const [stale] = await shard.pageMany([{ match: '"apple"', phrases: ['"apple"'], rows: [{ rowid: gone.rowid, id: gone.id }] }]);
    expect(stale).toEqual({});
    expect((await top(shard, ['"cherry"'])).rows).toEqual([]);
  });

  it("plain and filtered queries score alike, and a cursor page continues the plain one", async () => {
    const stub = env.INDEX_SHARD.getByName("cache-paths");
    const shard = stub as unknown as Shard;
    const words = ["red", "green", "blue"];
    await stub.apply(Array.from({ length: 30 }, (_, i) => post(100 + i, `${words[i % 3]} ${"red ".repeat(i % 5)}sky ${i}`)));
    // The filtered query first: its hit counts come from COUNT, the plain one's from its lists.
    const filtered = await top(shard, ['"red"', '"sky"'], { tag: "t" });
    const plain = await top(shard, ['"red"', '"sky"']);
    expect(filtered.rows.map((r) => [r.id, r.b])).toEqual(plain.rows.map((r) => [r.id, r.b]));
    expect(filtered.hits).toEqual(plain.hits);
    const last = plain.rows.at(-1)!;
    const g = { docs: plain.docs, hits: plain.hits };
    const next = await top(shard, ['"red"', '"sky"'], { after: { s: last.b, i: last.id, g } });
    const all = await top(shard, ['"red"', '"sky"'], { limit: 100 });
    expect([...plain.rows, ...next.rows].map((r) => r.id)).toEqual(all.rows.slice(0, plain.rows.length + next.rows.length).map((r) => r.id));
  });

  it("merges its FTS5 segments once quiet, and answers exactly as before", async () => {
    const stub = env.INDEX_SHARD.getByName("merge-segments");
    const shard = stub as unknown as Shard & { stats(): Promise<{ merge: { steps: number; pending: boolean } }> };
    const words = ["amber", "basil", "cedar", "dune", "ember", "fjord", "grove"];
    // 240 documents in 60 applies: 60 segments before FTS5's automerge, several after it.
    for (let b = 0; b < 60; b++) {
      await stub.apply(Array.from({ length: 4 }, (_, k) => {
        const i = b * 4 + k;
        return post(1000 + i, `${words[i % 7]} ${words[(i * 3) % 7]} ${"filler ".repeat(i % 11)}${words[(i * 5) % 7]} note ${i}`);
      }));
    }
    const structure = () => runInDurableObject(stub, async (_o, state) => state.storage.sql.exec<{ b: ArrayBuffer }>("SELECT block AS b FROM fts_data WHERE id = 10").one().b.byteLength);
    const queries = [['"amber"'], ['"basil"', '"dune"'], ['"note"'], ['"grove"', '"ember"', '"filler"']];
    const answer = async () => Promise.all(queries.map((q) => top(shard, q, { limit: 50 })));
    const before = await answer();
    const sizeBefore = await structure();
    const rows = before[1]!.rows.slice(0, 5).map((r) => ({ rowid: r.rowid, id: r.id }));
    const [snipBefore] = await shard.pageMany([{ match: '"basil" AND "dune"', phrases: ['"basil"', '"dune"'], rows }]);
    let stats = await shard.stats();
    const deadline = Date.now() + 20_000;
    while ((stats.merge.pending || stats.merge.steps === 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      stats = await shard.stats();
    }
    expect(stats.merge.pending).toBe(false);
    expect(stats.merge.steps).toBeGreaterThan(0);
    expect(await structure()).toBeLessThan(sizeBefore); // fewer segments described
    // The caches survive the merge, so compare answers FTS5 computes afresh on the merged index:
    // tag-filtered queries (every document has tag "t") and snippets under an equivalent match
    // spelled differently (another cache key). Same rows, order, doubles and hit counts.
    expect(await answer()).toEqual(before);
    const fresh = await Promise.all(queries.map((q) => top(shard, q, { limit: 50, tag: "t" })));
    expect(fresh.map((a) => [a.hits, a.rows.map((r) => [r.id, r.b])])).toEqual(before.map((a) => [a.hits, a.rows.map((r) => [r.id, r.b])]));
    const [snipAfter] = await shard.pageMany([{ match: '"basil"  AND  "dune"', phrases: ['"basil"', '"dune"'], rows }]);
    expect(snipAfter).toEqual(snipBefore);
    expect(Object.keys(snipAfter!)).toHaveLength(rows.length);
  });

  it("a new instance starts with its newest documents cached, as the write-through left them", async () => {
    const name = "cache-restart";
    const stub = env.INDEX_SHARD.getByName(name);
    await stub.apply(Array.from({ length: 5 }, (_, i) => post(300 + i, `kiwi fruit ${i}`)));
    await stub.apply([{ op: "delete", id: hex(302) }]);
    await stub.faultReset().catch(() => {}); // ctx.abort(): the instance is dropped, as by an eviction
    const fresh = env.INDEX_SHARD.getByName(name);
    const stats = await fresh.stats();
    expect(stats.docCache).toEqual({ hits: 0, misses: 0, size: 4 });
    const shard = fresh as unknown as Shard;
    const ranked = await top(shard, ['"kiwi"']);
    expect(ranked.rows.map((r) => r.id).sort()).toEqual([300, 301, 303, 304].map(hex));
    const [fields] = await shard.pageMany([{ match: '"kiwi"', phrases: ['"kiwi"'], rows: ranked.rows.map((r) => ({ rowid: r.rowid, id: r.id })) }]);
    expect(Object.values(fields!).map((f) => f.title).sort()).toEqual(["post 300", "post 301", "post 303", "post 304"]);
    const after = await fresh.stats();
    expect(after.docCache.misses).toBe(0); // neither the ranking nor the page read the docs table
    expect(after.docCache.hits).toBe(8);
  });
});

describe("IndexShard snippets", () => {
  it("come from the head, else from a tail holding a phrase, else are the head's opening words — as FTS5 gives them", async () => {
    const stub = env.INDEX_SHARD.getByName("snippet-columns");
    const shard = stub as unknown as Shard;
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `filler${i % 37}`).join(" "); // > HEAD_CHARS
    await stub.apply([
      post(1, `quartz opens the head ${filler(400)} and later quartz again`),
      post(2, `nothing here at first ${filler(400)} then quartz deep in the tail`),
      post(3, `plain words only ${filler(400)} nothing else`, { title: "quartz in the title" }),
      post(4, `short post mentioning quartz`),
      post(5, `lapis at the start ${filler(400)} and quartz only in the tail`),
      post(6, `neither word up front ${filler(400)} lapis tail`, { title: "quartz title", tags: ["t", "quartz"] }),
    ]);
    const cases: [string[], number[]][] = [
      [['"quartz"'], [1, 2, 3, 4, 5, 6]],
      [['"lapis"', '"quartz"'], [5, 6]],
      [['"quartz" *'], [1, 2, 3, 4, 5, 6]],
    ];
    for (const [phrases, expectIds] of cases) {
      const match = phrases.join(" AND ");
      const ranked = await top(shard, phrases, { limit: 50 });
      expect(ranked.rows.map((r) => r.id).sort()).toEqual(expectIds.map(hex).sort());
      const [fields] = await shard.pageMany([{ match, phrases, rows: ranked.rows.map((r) => ({ rowid: r.rowid, id: r.id })) }]);
      // The rule, computed directly with FTS5: the head snippet when it marks a phrase, else
      // the tail snippet when that marks one, else the unmarked head snippet.
      const expected = await runInDurableObject(stub, async (_o, state) => {
        const snip = (col: number, rowid: number) =>
          state.storage.sql.exec<{ s: string }>(`SELECT snippet(fts, ${col}, '[', ']', '…', 16) AS s FROM fts WHERE fts MATCH ? AND rowid = ?`, match, rowid).one().s;
        return Object.fromEntries(ranked.rows.map((r) => {
          const head = snip(1, r.rowid);
          const tail = snip(2, r.rowid);
          return [r.rowid, head.includes("[") ? head : tail.includes("[") ? tail : head];
        }));
      });
      expect(Object.fromEntries(Object.entries(fields!).map(([k, f]) => [k, f.snippet])), match).toEqual(expected);
    }
    // Spot the three placements in the one-word case.
    const ranked = await top(shard, ['"quartz"'], { limit: 50 });
    const [fields] = await shard.pageMany([{ match: '"quartz"', phrases: ['"quartz"'], rows: ranked.rows.map((r) => ({ rowid: r.rowid, id: r.id })) }]);
    const byId = new Map(ranked.rows.map((r) => [r.id, fields![r.rowid]!.snippet]));
    expect(byId.get(hex(1))).toMatch(/^\[quartz\] opens the head/);
    expect(byId.get(hex(2))).toContain("[quartz] deep in the tail");
    expect(byId.get(hex(3))).toMatch(/^plain words only/);
    expect(byId.get(hex(3))).not.toContain("[");
  });
});

describe("GET /v1/admin/index", () => {
  it("is admin-only, and reports each shard's documents and cache counters", async () => {
    const { api } = await import("../helpers/client");
    const { IndexStats } = await import("../../src/schemas/api");
    const anon = await api("GET", "/v1/admin/index");
    expect(anon.status).toBe(401);
    expect(anon.headers.get("content-type")).toContain("application/problem+json");
    expect(anon.body.code).toBe("unauthorized");

    const headers = { authorization: "Bearer test-admin-token" };
    const before = await api("GET", "/v1/admin/index", { headers });
    expect(before.status).toBe(200);
    const parsed = IndexStats.parse(before.body);
    expect(parsed.shards.map((s) => s.shard)).toHaveLength(8);
    expect(new Set(parsed.shards.map((s) => s.shard)).size).toBe(8);
    const misses = (b: typeof parsed) => b.shards.reduce((n, s) => n + s.answerCache.misses, 0);

    // A search no shard has answered before is one answer-cache miss per shard.
    const q = `zzadminstats${Date.now().toString(36)}0`;
    expect((await api("GET", `/v1/search?q=${q}`)).status).toBe(200);
    const after = IndexStats.parse((await api("GET", "/v1/admin/index", { headers })).body);
    expect(misses(after) - misses(parsed)).toBe(8);
  });
});
