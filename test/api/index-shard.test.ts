// IndexShard read caches against writes: a delete or a reused rowid never lets a cached
// ranking, phrase list or document answer for content that is gone.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import type { IndexUpdate } from "../../src/content/ops";

const hex = (n: number) => n.toString(16).padStart(64, "0");
const post = (n: number, text: string, extra: Partial<IndexUpdate & { op: "upsert" }> = {}): IndexUpdate => ({
  op: "upsert", id: hex(n), author: "did:key:z6MkA", title: `post ${n}`, text, tags: ["t"], lang: null, createdAt: "2026-11-27T00:00:00.000Z", seq: n, ...extra,
});

type Shard = { queryMany(q: unknown[]): Promise<unknown[]> };

async function top(shard: Shard, phrases: string[], extra: Record<string, unknown> = {}) {
  const [a] = (await shard.queryMany([{ phrases, limit: 10, ...extra }])) as ({ error: string } | undefined)[];
  if (!a || "error" in a) throw new Error(String(a?.error));
  return a as { hits: number[]; docs: number; rows: { id: string; title: string; b: number }[] };
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
    expect(after.rows.map((r) => [r.id, r.title]).sort()).toEqual([[hex(1), "post 1"], [hex(3), "third"]]);
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
});
