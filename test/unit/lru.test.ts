import { describe, expect, it } from "vitest";
import { FifoCache, Lru } from "../../src/lib/lru";

describe("Lru", () => {
  it("keeps at most max entries and forgets the least recently used first", () => {
    const c = new Lru<string, number>(2);
    c.set("a", 1);
    c.set("b", 2);
    expect(c.get("a")).toBe(1); // a is now the most recent
    c.set("c", 3); // evicts b
    expect(c.size).toBe(2);
    expect(c.get("b")).toBeUndefined();
    expect(c.get("a")).toBe(1);
    expect(c.get("c")).toBe(3);
  });

  it("overwrites in place, counts hits and misses, clears", () => {
    const c = new Lru<string, number>(3);
    c.set("a", 1);
    c.set("a", 2);
    expect(c.size).toBe(1);
    expect(c.get("a")).toBe(2);
    expect(c.get("x")).toBeUndefined();
    expect([c.hits, c.misses]).toEqual([1, 1]);
    c.clear();
    expect(c.size).toBe(0);
    expect(c.get("a")).toBeUndefined();
  });

  it("rejects a non-positive bound", () => {
    expect(() => new Lru(0)).toThrow(RangeError);
  });

  it("bounds the summed weight when given a weigh function", () => {
    const c = new Lru<string, string>(10, (v) => v.length);
    c.set("a", "xxxx");
    c.set("b", "yyyy");
    expect(c.weight).toBe(8);
    c.set("c", "zzz"); // 11 > 10: a goes
    expect(c.get("a")).toBeUndefined();
    expect(c.weight).toBe(7);
    c.set("b", "y"); // replacing re-weighs
    expect(c.weight).toBe(4);
    c.delete("c");
    expect(c.weight).toBe(1);
    c.set("big", "w".repeat(20)); // alone over the bound: kept, everything else goes
    expect([c.size, c.weight, c.get("big")?.length]).toEqual([1, 20, 20]);
    c.clear();
    expect(c.weight).toBe(0);
  });
});

describe("FifoCache", () => {
  it("forgets the oldest inserted first, whatever was read", () => {
    const c = new FifoCache<string, number>(2);
    c.set("a", 1);
    c.set("b", 2);
    expect(c.get("a")).toBe(1); // a read does not refresh a
    c.set("c", 3); // evicts a
    expect([c.get("a"), c.get("b"), c.get("c"), c.size]).toEqual([undefined, 2, 3, 2]);
    c.set("b", 4); // re-setting refreshes b: c is now the oldest
    c.set("d", 5);
    expect([c.get("c"), c.get("b"), c.get("d")]).toEqual([undefined, 4, 5]);
    expect([c.hits, c.misses]).toEqual([5, 2]);
    c.delete("b");
    c.clear();
    expect(c.size).toBe(0);
    expect(() => new FifoCache(0)).toThrow(RangeError);
  });
});
