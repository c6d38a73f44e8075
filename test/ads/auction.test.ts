// Auction maths (DESIGN §7), worked examples: eCPM, ranking and tie-breaks, second price with
// floor and cap, CPM and CPC prices, re-ranking when a winner cannot reserve.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { clearingEcpm, compareCandidates, compareRational, ecpm, maxCharge, priceFor, publisherShare, rational, runAuction, type Candidate } from "../../src/ads/auction";

const cpm = (id: string, amount: number, createdSeq = 1): Candidate => ({ id, createdSeq, model: "cpm", amount: BigInt(amount), clicks: 0, impressions: 0 });
const cpc = (id: string, amount: number, clicks: number, impressions: number, createdSeq = 1): Candidate => ({ id, createdSeq, model: "cpc", amount: BigInt(amount), clicks, impressions });
const ranked = (cs: Candidate[]) => [...cs].sort(compareCandidates);
const always = () => true;

describe("auction maths", () => {
  it("eCPM: cpm is the bid; cpc is bid × 1000 × (clicks+1)/(impressions+100)", () => {
    expect(ecpm(cpm("a", 5000))).toEqual(rational(5000n));
    // 200 per click, 9 clicks in 900 impressions: 200 × 1000 × 10 / 1000 = 2000.
    const e = ecpm(cpc("b", 200, 9, 900));
    expect(Number(e.n) / Number(e.d)).toBe(2000);
  });

  it("ranks by eCPM, then earlier creation, then id", () => {
    const order = ranked([cpm("c", 3000, 5), cpm("b", 3000, 2), cpm("a", 3000, 2), cpm("z", 4000, 9)]).map((c) => c.id);
    expect(order).toEqual(["z", "a", "b", "c"]);
  });

  it("second price: clearing = second eCPM + 1; CPM price = max(1, ceil(clearing/1000))", () => {
    // Winner 5000, second 3000 → clearing 3001 → ceil(3001/1000) = 4 units per impression.
    const out = runAuction(ranked([cpm("w", 5000), cpm("s", 3000)]), 0n, always)!;
    expect(out.winner.id).toBe("w");
    expect(out.clearing).toEqual(rational(3001n));
    expect(out.price).toBe(4n);
  });

  it("floor: clearing = max(second, floor) + 1; candidates below the floor are not eligible", () => {
    // Floor 4000 beats second 3000 → clearing 4001 → price 5.
    expect(runAuction(ranked([cpm("w", 5000), cpm("s", 3000)]), 4000n, always)!.price).toBe(5n);
    // Alone with no floor: clearing 0 + 1 = 1 → price max(1, ceil(1/1000)) = 1.
    expect(runAuction([cpm("w", 5000)], 0n, always)!.price).toBe(1n);
    // Winner below the floor: no sale.
    expect(runAuction([cpm("w", 5000)], 6000n, always)).toBeNull();
  });

  it("clearing is capped at the winner's eCPM (ties and floor just under the bid)", () => {
    // Tie at 5000: second + 1 = 5001 is capped at 5000 → price 5.
    const tie = runAuction(ranked([cpm("b", 5000, 2), cpm("a", 5000, 1)]), 0n, always)!;
    expect(tie.winner.id).toBe("a");
    expect(tie.clearing).toEqual(rational(5000n));
    expect(tie.price).toBe(5n);
    expect(clearingEcpm(rational(5000n), null, 5000n)).toEqual(rational(5000n));
  });

  it("CPC price = ceil(clearing / (1000 × ctr_est)), capped at the bid", () => {
    // CPC winner: bid 200, 9 clicks / 900 impressions → ctr_est 10/1000, eCPM 2000.
    // Second: CPM 1500 → clearing 1501 → 1501 / (1000 × 0.01) = 150.1 → 151 per click.
    const w = cpc("w", 200, 9, 900);
    const out = runAuction(ranked([w, cpm("s", 1500)]), 0n, always)!;
    expect(out.winner.id).toBe("w");
    expect(out.price).toBe(151n);
    // Cap at the bid: clearing equal to the winner's eCPM would give exactly the bid.
    expect(priceFor(w, ecpm(w))).toBe(200n);
    expect(priceFor(w, rational(1_000_000n))).toBe(200n);
  });

  it("CPC with a rational second eCPM: + 1 unit keeps the fraction exact", () => {
    // Second: CPC 7 per click, 0/0 → eCPM 7000 × 1 / 100 = 70 → clearing 71. Winner CPM 100:
    // price ceil(71/1000) = 1.
    const out = runAuction(ranked([cpm("w", 100_000 / 1000), cpc("s", 7, 0, 0)]), 0n, always);
    expect(compareRational(out!.clearing, rational(71n))).toBe(0);
    expect(out!.price).toBe(1n);
    expect(clearingEcpm(rational(7n, 3n), rational(1n, 3n), 0n)).toEqual(rational(4n, 3n));
  });

  it("a winner that cannot reserve is dropped and the auction re-ranks without it", () => {
    const cs = ranked([cpm("a", 9000), cpm("b", 7000), cpm("c", 4000)]);
    const out = runAuction(cs, 0n, (c) => c.id !== "a")!;
    expect(out.winner.id).toBe("b");
    expect(out.skipped.map((c) => c.id)).toEqual(["a"]);
    expect(out.price).toBe(5n); // clearing = c's 4000 + 1
    expect(runAuction(cs, 0n, () => false)).toBeNull();
  });

  it("slice sizing and publisher share", () => {
    expect(maxCharge("cpm", 5000n)).toBe(5n);
    expect(maxCharge("cpm", 5001n)).toBe(6n);
    expect(maxCharge("cpc", 200n)).toBe(200n);
    expect(publisherShare(10n, 7000)).toBe(7n);
    expect(publisherShare(3n, 7000)).toBe(2n); // floor: the pool gets the remainder
  });

  it("property: price never exceeds the winner's maximum charge and is at least 1", () => {
    const cand = fc.record({
      model: fc.constantFrom<"cpm" | "cpc">("cpm", "cpc"),
      amount: fc.integer({ min: 1000, max: 1_000_000 }),
      clicks: fc.integer({ min: 0, max: 1000 }),
      impressions: fc.integer({ min: 0, max: 100_000 }),
      createdSeq: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(fc.array(cand, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 2_000_000 }), (cs, floor) => {
        const list = ranked(cs.map((c, i) => ({ ...c, id: `c${i}`, amount: BigInt(c.amount) })));
        const out = runAuction(list, BigInt(floor), always);
        if (!out) return list.every((c) => Number(ecpm(c).n) / Number(ecpm(c).d) < floor);
        return out.price >= 1n && out.price <= maxCharge(out.winner.model, out.winner.amount) && out.winner.id === list[0]!.id;
      }),
    );
  });
});
