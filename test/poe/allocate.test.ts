// Pure PoE rules: largest-remainder allocation, pool split, payout batches, weights, reputation.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { allocateEpoch, largestRemainder, payoutBatches } from "../../src/poe/allocate";
import { engagementWeight, engagerBps, epochOf, nextReputation, reputationGain } from "../../src/poe/model";

const sum = (m: Map<string, bigint>) => [...m.values()].reduce((a, b) => a + b, 0n);
const weightsArb = fc.dictionary(fc.stringMatching(/^did:[a-z]{1,6}$/), fc.bigInt({ min: 0n, max: 10n ** 12n }), { maxKeys: 60 });

describe("allocation", () => {
  it("largest remainder: shares sum exactly to the amount for any weights (and nothing for W = 0)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), weightsArb, (amount, w) => {
        const weights = new Map(Object.entries(w));
        const out = largestRemainder(amount, weights);
        const total = sum(weights);
        if (total === 0n || amount === 0n) return out.size === 0;
        expect(sum(out)).toBe(amount);
        for (const [did, a] of out) {
          const exact = (amount * weights.get(did)!) / total; // floor
          expect(a === exact || a === exact + 1n).toBe(true);
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it("ties go to the lower DID", () => {
    const out = largestRemainder(1n, new Map([["did:b", 1n], ["did:a", 1n], ["did:c", 1n]]));
    expect([...out]).toEqual([["did:a", 1n]]);
  });

  it("epoch split: creators + curators = pool exactly; the creator share is CREATOR_SHARE_BPS; batches sum to the pool and mint only emission", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 13n }),
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.integer({ min: 0, max: 10_000 }),
        weightsArb,
        weightsArb,
        fc.integer({ min: 1, max: 7 }),
        (emission, revenue, bps, cw, uw, size) => {
          const creators = new Map(Object.entries(cw));
          const curators = new Map(Object.entries(uw));
          const pool = emission + revenue;
          const a = allocateEpoch(pool, bps, creators, curators);
          if (sum(creators) === 0n || sum(curators) === 0n) return a.creator.size === 0 && a.curator.size === 0;
          expect(a.creatorPool).toBe((pool * BigInt(bps)) / 10_000n);
          expect(sum(a.creator) + sum(a.curator)).toBe(pool);
          const merged = new Map<string, bigint>();
          for (const m of [a.creator, a.curator]) for (const [d, v] of m) merged.set(d, (merged.get(d) ?? 0n) + v);
          const batches = payoutBatches([...merged].map(([did, amount]) => ({ did, amount, gain: 0 })), revenue, size);
          const paid = batches.reduce((s, b) => s + b.entries.reduce((x, e) => x + e.amount, 0n), 0n);
          expect(paid).toBe(pool);
          expect(batches.reduce((s, b) => s + b.mint, 0n)).toBe(emission);
          expect(batches.reduce((s, b) => s + b.fromPool, 0n)).toBe(revenue);
          for (const b of batches) expect(b.entries.length).toBeLessThanOrEqual(size);
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });

  it("an empty epoch still yields one (empty) batch", () => {
    expect(payoutBatches([], 5n, 10)).toEqual([{ batch: 0, mint: 0n, fromPool: 0n, entries: [] }]);
  });
});

describe("weights and reputation", () => {
  it("kind weight × min(10000, reputation × 1000); self-engagement and fresh engagers weigh zero", () => {
    expect(engagerBps(0)).toBe(0);
    expect(engagerBps(3)).toBe(3000);
    expect(engagerBps(55)).toBe(10_000);
    expect(engagementWeight("like", "a", "b", 10)).toBe(50_000);
    expect(engagementWeight("share", "a", "b", 1)).toBe(15_000);
    expect(engagementWeight("view", "a", "b", 100)).toBe(10_000);
    expect(engagementWeight("comment", "a", "a", 100)).toBe(0);
    expect(engagementWeight("comment", "a", "b", 0)).toBe(0);
  });

  it("reputation decays 10 % per epoch, gains at most 10, stays within 0–100", () => {
    expect(nextReputation(50, 0)).toBe(45);
    expect(nextReputation(1, 0)).toBe(0);
    expect(nextReputation(100, 10)).toBe(100);
    expect(reputationGain(49_999)).toBe(0);
    expect(reputationGain(50_000)).toBe(1);
    expect(reputationGain(10 ** 9)).toBe(10);
    fc.assert(fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (r, g) => nextReputation(r, g) >= 0 && nextReputation(r, g) <= 100));
  });

  it("epochs are [n × EPOCH_MS, (n+1) × EPOCH_MS) of block time", () => {
    expect(epochOf(0, 1000)).toBe(0);
    expect(epochOf(999, 1000)).toBe(0);
    expect(epochOf(1000, 1000)).toBe(1);
  });
});
