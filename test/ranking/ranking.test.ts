// Ranking: the merged top 10 from the document-partitioned shards vs a single-index BM25 over
// the same documents (one IndexShard holding everything), on a real public corpus. Documents
// reach the shards through the real index-updates consumer.
import { describe, expect, it } from "vitest";
import { createExecutionContext, createMessageBatch, env, getQueueResult, runInDurableObject } from "cloudflare:test";
import worker from "../../src/workers/index";
import { api } from "../helpers/client";
import { corpusDocs, CORPUS_QUERIES } from "../helpers/corpus";
import { parseQuery } from "../../src/search/query";

describe("ranking", () => {
  it("overlap@10 between sharded search and single-index BM25 is at least 0.8 on average", async () => {
    const docs = corpusDocs();
    expect(docs.length).toBeGreaterThan(1000);
    for (let i = 0; i < docs.length; i += 100) {
      const batch = createMessageBatch(
        "index-updates",
        docs.slice(i, i + 100).map((d, j) => ({ id: `m${i + j}`, timestamp: new Date(), attempts: 1, body: d })),
      );
      const ctx = createExecutionContext();
      await worker.queue(batch as MessageBatch<unknown>, env, ctx);
      const result = await getQueueResult(batch, ctx);
      expect(result.retryMessages).toEqual([]);
    }
    const single = env.INDEX_SHARD.getByName("reference-single-index");
    for (let i = 0; i < docs.length; i += 200) await single.apply(docs.slice(i, i + 200));

    const overlaps: number[] = [];
    for (const q of CORPUS_QUERIES) {
      const sharded = await api("GET", `/v1/search?q=${encodeURIComponent(q)}&limit=10`);
      expect(sharded.status).toBe(200);
      const parsed = parseQuery(q);
      if (!parsed.ok) throw new Error(parsed.error);
      const [answer] = await single.queryMany([{ phrases: parsed.phrases, limit: 10 }]);
      if (!answer || "error" in answer) throw new Error(`single index: ${answer?.error}`);
      const reference = answer.rows;
      if (reference.length === 0) continue;
      const ref = new Set(reference.map((r) => r.id));
      overlaps.push(sharded.body.results.filter((r: any) => ref.has(r.id)).length / reference.length);
    }
    const mean = overlaps.reduce((a, b) => a + b, 0) / overlaps.length;
    console.log(`ranking: ${docs.length} docs, ${overlaps.length} queries, mean overlap@10 = ${mean.toFixed(3)}, min = ${Math.min(...overlaps).toFixed(2)}`);
    expect(overlaps.length).toBeGreaterThan(30);
    expect(mean).toBeGreaterThanOrEqual(0.8);

    // The shard ranks plain queries from cached per-phrase score lists (phrase-scores.ts); the
    // result must be bit-for-bit what FTS5's bm25() gives for the AND query: same rows, same
    // order, same doubles. Words, two- and three-word ANDs, quoted phrases and prefixes.
    const exactQueries = [...CORPUS_QUERIES, "free money offer", "linux kernel patch", '"red hat" linux', "spam*", "mort* rates", "click here now", "the", "zzzznotaword"];
    let compared = 0;
    for (const q of exactQueries) {
      const parsed = parseQuery(q);
      if (!parsed.ok) throw new Error(parsed.error);
      for (const limit of [1, 11, 200]) {
        const [answer] = await single.queryMany([{ phrases: parsed.phrases, limit }]);
        if (!answer || "error" in answer) throw new Error(`single index: ${answer?.error}`);
        const direct = await runInDurableObject(single, async (_o, state) =>
          state.storage.sql
            .exec<{ id: string; b: number }>(
              `SELECT d.id AS id, -bm25(fts, 4.0, 1.0, 1.0, 2.0) AS b FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ? ORDER BY b DESC, d.id ASC LIMIT ?`,
              parsed.match,
              limit,
            )
            .toArray(),
        );
        expect(answer.rows.map((r) => [r.id, r.b]), `${q} limit ${limit}`).toEqual(direct.map((r) => [r.id, r.b]));
        const counts = await runInDurableObject(single, async (_o, state) =>
          parsed.phrases.map((p) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM fts WHERE fts MATCH ?", p).one().n),
        );
        expect(answer.hits).toEqual(counts);
        compared += direct.length;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  }, 180_000);
});
