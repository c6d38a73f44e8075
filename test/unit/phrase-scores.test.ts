import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { intersectScores, phraseScores, topWithTies } from "../../src/search/phrase-scores";

const list = (pairs: [number, number][]) => phraseScores(pairs);

describe("phrase score lists", () => {
  it("rejects rows that are not ascending", () => {
    expect(() => list([[2, 1], [1, 1]])).toThrow(/ascending/);
    expect(() => list([[1, 1], [1, 2]])).toThrow(/ascending/);
  });

  it("keeps every row of a long list, in order", () => {
    const pairs = Array.from({ length: 1000 }, (_, i): [number, number] => [3 * i + 1, i / 9]);
    const l = list(pairs);
    expect([...l.rowids]).toEqual(pairs.map((p) => p[0]));
    expect([...l.scores]).toEqual(pairs.map((p) => p[1]));
    expect(list([]).rowids.length).toBe(0);
  });

  it("intersects, summing scores in list order from 0 (as FTS5 adds its phrases)", () => {
    const a = list([[1, 0.1], [3, 0.2], [5, 0.3], [9, 0.4]]);
    const b = list([[3, 0.7], [4, 1], [9, 0.2]]);
    const c = list([[0, 5], [3, 0.3], [9, 0.1], [10, 1]]);
    const r = intersectScores([a, b, c]);
    expect([...r.rowids]).toEqual([3, 9]);
    expect(r.scores[0]).toBe(0 + 0.2 + 0.7 + 0.3);
    expect(r.scores[1]).toBe(0 + 0.4 + 0.2 + 0.1);
    expect(intersectScores([a, list([])]).rowids.length).toBe(0);
    expect(intersectScores([]).rowids.length).toBe(0);
  });

  it("agrees with a naive intersection on random lists", () => {
    const rows = fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { maxLength: 120 }).map((xs) => xs.sort((x, y) => x - y));
    fc.assert(
      fc.property(fc.array(rows, { minLength: 1, maxLength: 4 }), (sets) => {
        const lists = sets.map((xs, i) => list(xs.map((r) => [r, r / 7 + i / 3])));
        const got = intersectScores(lists);
        const want = sets[0]!.filter((r) => sets.every((xs) => xs.includes(r)));
        expect([...got.rowids]).toEqual(want);
        want.forEach((r, k) => {
          let s = 0;
          for (let i = 0; i < sets.length; i++) s += r / 7 + i / 3;
          expect(got.scores[k]).toBe(s);
        });
      }),
    );
  });

  it("topWithTies keeps the k best and everything tied with the k-th", () => {
    const s = Float64Array.from([1, 5, 3, 5, 2, 3, 3]);
    expect(topWithTies(s, 1).sort()).toEqual([1, 3]);
    expect(topWithTies(s, 2).sort()).toEqual([1, 3]);
    expect(topWithTies(s, 3).sort()).toEqual([1, 2, 3, 5, 6]);
    expect(topWithTies(s, 10).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(topWithTies(s, 0)).toEqual([]);
    expect(topWithTies(new Float64Array(0), 3)).toEqual([]);
  });

  it("topWithTies matches sorting on random scores", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), fc.integer({ min: 1, max: 15 }), (xs, k) => {
        const got = topWithTies(Float64Array.from(xs), k).sort((a, b) => a - b);
        const sorted = [...xs].sort((a, b) => b - a);
        const threshold = sorted[Math.min(k, xs.length) - 1];
        const want = xs.flatMap((x, i) => (threshold !== undefined && x >= threshold ? [i] : []));
        expect(got).toEqual(want);
      }),
    );
  });
});
