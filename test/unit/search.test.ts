import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fts5Idf, parseQuery, shardFactor, MAX_QUERY_CHARS } from "../../src/search/query";
import { Coalescer } from "../../src/search/coalesce";
import { HEAD_CHARS, splitHead } from "../../src/durable-objects/IndexShard";
import { decodeCursor, encodeCursor, isRankCursor, mergeTop } from "../../src/search/merge";

describe("parseQuery", () => {
  it("words are ANDed phrases, quotes make phrases, a trailing * makes a prefix", () => {
    expect(parseQuery("linux kernel")).toMatchObject({ ok: true, match: '"linux" AND "kernel"', phrases: ['"linux"', '"kernel"'] });
    expect(parseQuery('"red hat" rpm*')).toMatchObject({ ok: true, match: '"red hat" AND "rpm" *' });
    expect(parseQuery("e-mail")).toMatchObject({ ok: true, match: '"e mail"' });
    expect(parseQuery("a a")).toMatchObject({ ok: true, phrases: ['"a"'] });
  });

  it("FTS5 syntax from the user is inert: only letters and digits survive, always quoted", () => {
    for (const q of ["NEAR(a b)", "a OR b", "col:value", "(x", "^start", '"unterminated', "a AND", "x NOT y", "{a b}: c"]) {
      const r = parseQuery(q);
      expect(r.ok).toBe(true);
      if (r.ok) for (const p of r.phrases) expect(p).toMatch(/^"[\p{L}\p{N} ]+"( \*)?$/u);
    }
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (q) => {
        const r = parseQuery(q);
        if (r.ok) for (const p of r.phrases) expect(p).toMatch(/^"[\p{L}\p{N} ]+"( \*)?$/u);
      }),
    );
  });

  it("refuses empty, oversized and term-heavy queries", () => {
    expect(parseQuery("   ").ok).toBe(false);
    expect(parseQuery("*** !!!").ok).toBe(false);
    expect(parseQuery("x".repeat(MAX_QUERY_CHARS + 1)).ok).toBe(false);
    expect(parseQuery(Array(17).fill("w").map((w, i) => w + i).join(" ")).ok).toBe(false);
  });
});

describe("fts5Idf", () => {
  it("matches FTS5: log((N − n + 0.5)/(n + 0.5)), clamped to 1e-6", () => {
    expect(fts5Idf(100, 1)).toBeCloseTo(Math.log(99.5 / 1.5));
    expect(fts5Idf(100, 60)).toBe(1e-6);
  });
});

describe("merge and cursors", () => {
  it("mergeTop orders by score desc then id asc and says whether more exist", () => {
    const a = [{ id: "b", score: 3 }, { id: "d", score: 1 }];
    const b = [{ id: "a", score: 3 }, { id: "c", score: 2 }];
    expect(mergeTop([a, b], 3)).toEqual({ items: [{ id: "a", score: 3 }, { id: "b", score: 3 }, { id: "c", score: 2 }], more: true });
    expect(mergeTop([a], 5).more).toBe(false);
  });

  it("cursors round-trip and garbage decodes to null", () => {
    const c = { s: 1.25, i: "a".repeat(64), g: { docs: 10, hits: [1, 2] } };
    expect(decodeCursor(encodeCursor(c), isRankCursor)).toEqual(c);
    for (const bad of ["", "!!", encodeCursor({ s: "x" }), encodeCursor({ s: 1, i: "short", g: { docs: 1, hits: [] } }), encodeCursor([1])]) {
      expect(decodeCursor(bad, isRankCursor)).toBeNull();
    }
  });
});

describe("shardFactor", () => {
  it("for one phrase it turns the shard's IDF into the global IDF exactly", () => {
    const f = shardFactor({ docs: 50_000, hits: [400] }, { docs: 6_000, hits: [55] });
    expect(f * fts5Idf(6_000, 55)).toBeCloseTo(fts5Idf(50_000, 400), 12);
  });
  it("is 1 when the shard's statistics are the global ones, and positive always", () => {
    expect(shardFactor({ docs: 100, hits: [3, 9] }, { docs: 100, hits: [3, 9] })).toBe(1);
    fc.assert(
      fc.property(fc.nat(1e6), fc.nat(1e6), fc.nat(1e6), fc.nat(1e6), (gd, gh, ld, lh) => {
        const f = shardFactor({ docs: gd, hits: [Math.min(gh, gd)] }, { docs: ld, hits: [Math.min(lh, ld)] });
        return Number.isFinite(f) && f > 0;
      }),
    );
  });
});

describe("splitHead", () => {
  it("cuts long text at whitespace near HEAD_CHARS and loses nothing", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z]{1,12}$/), { maxLength: 1200 }), (words) => {
        const text = words.join(" ");
        const [head, tail] = splitHead(text);
        expect(head + tail).toBe(text);
        expect(head.length).toBeLessThanOrEqual(HEAD_CHARS);
        if (tail) expect(tail.startsWith(" ")).toBe(true); // no word is cut in two
      }),
      { numRuns: 200 },
    );
  });
});

describe("Coalescer", () => {
  it("asks a linger function when a batch opens: 0 sends at once, more waits for company", async () => {
    const sent: number[][] = [];
    let linger = 0;
    const c = new Coalescer<number, number>(async (_k, xs) => {
      sent.push(xs);
      return xs.map((x) => x + 1);
    }, { maxItems: 64, lingerMs: () => linger, fallbackMs: 1000 });
    const lone = c.run("a", 1);
    expect(sent).toEqual([[1]]); // sent synchronously, no timer
    expect(await lone).toBe(2);
    linger = 20;
    const both = Promise.all([c.run("a", 5), c.run("a", 6)]);
    expect(sent).toHaveLength(1);
    expect(await both).toEqual([6, 7]);
    expect(sent).toEqual([[1], [5, 6]]);
  });

  it("sends concurrent calls for one key as one batch and answers each by position", async () => {
    const sent: number[][] = [];
    const c = new Coalescer<number, number>(async (_k, xs) => {
      sent.push(xs);
      return xs.map((x) => x * 2);
    }, { maxItems: 64, lingerMs: 5, fallbackMs: 1000 });
    const out = await Promise.all([1, 2, 3, 4].map((x) => c.run("a", x)));
    expect(out).toEqual([2, 4, 6, 8]);
    expect(sent).toEqual([[1, 2, 3, 4]]);
  });
  it("splits at maxItems and keeps keys apart", async () => {
    const sent: string[] = [];
    const c = new Coalescer<number, number>(async (k, xs) => {
      sent.push(`${k}:${xs.join(",")}`);
      return xs;
    }, { maxItems: 2, lingerMs: 5, fallbackMs: 1000 });
    await Promise.all([c.run("a", 1), c.run("a", 2), c.run("a", 3), c.run("b", 4)]);
    expect(sent.sort()).toEqual(["a:1,2", "a:3", "b:4"]);
  });
  it("a caller whose batch never answers sends its item alone after fallbackMs", async () => {
    let calls = 0;
    const c = new Coalescer<number, number>((_k, xs) => {
      calls++;
      return calls === 1 ? new Promise<number[]>(() => {}) : Promise.resolve(xs.map((x) => x + 1));
    }, { maxItems: 64, lingerMs: 1, fallbackMs: 50 });
    expect(await Promise.all([c.run("a", 1), c.run("a", 2)])).toEqual([2, 3]);
    expect(calls).toBe(3); // the hung batch, then each caller alone
  });
  it("runMany batches one item per key with concurrent callers and answers in key order", async () => {
    const sent: string[] = [];
    const c = new Coalescer<number, number>(async (k, xs) => {
      sent.push(`${k}:${xs.join(",")}`);
      return xs.map((x) => x * 10);
    }, { maxItems: 64, lingerMs: 5, fallbackMs: 1000 });
    const [a, b] = await Promise.all([c.runMany(["s0", "s1"], [1, 2]), c.runMany(["s0", "s1"], [3, 4])]);
    expect(a).toEqual([10, 20]);
    expect(b).toEqual([30, 40]);
    expect(sent.sort()).toEqual(["s0:1,3", "s1:2,4"]);
  });
  it("runMany: when one key's batch hangs, the caller resends all its items alone after fallbackMs", async () => {
    let hung = true;
    const sent: string[] = [];
    const c = new Coalescer<number, number>((k, xs) => {
      sent.push(`${k}:${xs.join(",")}`);
      if (k === "s1" && hung) {
        hung = false;
        return new Promise<number[]>(() => {});
      }
      return Promise.resolve(xs.map((x) => x + 1));
    }, { maxItems: 64, lingerMs: 1, fallbackMs: 50 });
    expect(await c.runMany(["s0", "s1"], [1, 2])).toEqual([2, 3]);
    expect(sent.sort()).toEqual(["s0:1", "s0:1", "s1:2", "s1:2"]);
  });
  it("a failed batch rejects every caller in it", async () => {
    const c = new Coalescer<number, number>(async () => {
      throw new Error("boom");
    }, { maxItems: 64, lingerMs: 1, fallbackMs: 1000 });
    await expect(Promise.all([c.run("a", 1), c.run("a", 2)])).rejects.toThrow("boom");
  });
});
