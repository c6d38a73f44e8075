import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fts5Idf, parseQuery, MAX_QUERY_CHARS } from "../../src/search/query";
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
