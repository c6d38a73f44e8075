// The history checker finds stale reads and lost updates, not only wrong totals.
import { describe, expect, it } from "vitest";
import { checkCampaignHistory, checkHistory, type CampaignOp, type HistoryOp } from "../helpers/history";

const A = "did:a";
const B = "did:b";
const C = "did:c";

/** A correct history: mint 100 to A (block 1); A→B 60 and A→C 60 race (block 2: one applies, one fails); B→C 10 (block 3). */
function good(): HistoryOp[] {
  return [
    { type: "mint", client: "admin", invokeAt: 0, completeAt: 10, id: "m", to: A, amount: 100n, result: { status: "applied", block: 1, sequence: 1 } },
    { type: "transfer", client: "c1", invokeAt: 11, completeAt: 30, id: "t1", from: A, to: B, amount: 60n, result: { status: "applied", block: 2, sequence: 2 } },
    { type: "transfer", client: "c2", invokeAt: 11, completeAt: 31, id: "t2", from: A, to: C, amount: 60n, result: { status: "failed", block: 2, sequence: 3, reason: "insufficient_balance" } },
    { type: "read", client: "c3", invokeAt: 12, completeAt: 13, did: A, result: { balance: 100n, height: 1 } },
    { type: "read", client: "c1", invokeAt: 32, completeAt: 33, did: A, result: { balance: 40n, height: 2 } },
    { type: "transfer", client: "c1", invokeAt: 34, completeAt: 50, id: "t3", from: B, to: C, amount: 10n, result: { status: "applied", block: 3, sequence: 4 } },
    { type: "read", client: "c2", invokeAt: 51, completeAt: 52, did: C, result: { balance: 10n, height: 3 } },
    { type: "read", client: "c2", invokeAt: 53, completeAt: 54, did: B, at: 2, result: { balance: 60n, height: 2 } },
  ];
}

describe("checkHistory", () => {
  it("accepts a correct concurrent history (a read at an explicit past height is not stale)", () => {
    expect(checkHistory(good())).toEqual([]);
  });

  it("detects a stale read: a read invoked after a write completed reports an older height", () => {
    const h = good();
    // Invoked after t3 completed (block 3) but served from height 2, with height 2's value.
    h.push({ type: "read", client: "c3", invokeAt: 60, completeAt: 61, did: C, result: { balance: 0n, height: 2 } });
    const kinds = checkHistory(h).map((a) => a.kind);
    expect(kinds).toContain("stale_read");
    expect(kinds).toContain("non_monotonic_read"); // c2 already saw height 3 before it
    expect(kinds).not.toContain("wrong_value"); // the value itself is right for height 2
  });

  it("detects a read whose value does not match its height (an old value labelled new)", () => {
    const h = good();
    h.push({ type: "read", client: "c3", invokeAt: 60, completeAt: 61, did: B, result: { balance: 60n, height: 3 } });
    expect(checkHistory(h).map((a) => a.kind)).toEqual(["wrong_value"]);
  });

  it("detects a lost update: two concurrent credits both applied, the read shows one", () => {
    const h: HistoryOp[] = [
      { type: "mint", client: "admin", invokeAt: 0, completeAt: 5, id: "m1", to: A, amount: 50n, result: { status: "applied", block: 1, sequence: 1 } },
      { type: "mint", client: "admin", invokeAt: 0, completeAt: 5, id: "m2", to: B, amount: 50n, result: { status: "applied", block: 1, sequence: 2 } },
      { type: "transfer", client: "c1", invokeAt: 6, completeAt: 20, id: "x", from: A, to: C, amount: 50n, result: { status: "applied", block: 2, sequence: 3 } },
      { type: "transfer", client: "c2", invokeAt: 6, completeAt: 20, id: "y", from: B, to: C, amount: 50n, result: { status: "applied", block: 2, sequence: 4 } },
      { type: "read", client: "c3", invokeAt: 21, completeAt: 22, did: C, result: { balance: 50n, height: 2 } },
    ];
    const anomalies = checkHistory(h);
    expect(anomalies.map((a) => a.kind)).toEqual(["wrong_value"]);
    expect(anomalies[0]!.detail).toContain("model 100");
  });

  it("detects a double spend: both racing debits reported applied", () => {
    const h = good();
    const t2 = h.find((o) => o.type === "transfer" && o.id === "t2")!;
    (t2 as { result: unknown }).result = { status: "applied", block: 2, sequence: 3 };
    expect(checkHistory(h).map((a) => a.kind)).toContain("wrong_outcome");
  });

  it("detects a serialization whose sequences run against block order", () => {
    const h = good();
    const t3 = h.find((o) => o.type === "transfer" && o.id === "t3")!;
    (t3 as { result: unknown }).result = { status: "applied", block: 1, sequence: 4 };
    expect(checkHistory(h).map((a) => a.kind)).toContain("bad_order");
  });
});

/** A correct campaign history: budget 9; auctions a1 (cpm 3) and a2 (cpm 3) won, a3 lost; a1's impression twice (a duplicate), a2's impression and click. */
function campaignGood(): CampaignOp[] {
  const read = (client: string, invokeAt: number, completeAt: number, spent: bigint, reserved: bigint, impressions: number, clicks: number, final?: boolean): CampaignOp => ({
    type: "read",
    client,
    invokeAt,
    completeAt,
    ...(final ? { final } : {}),
    result: { spent, reserved, budget: 9n, impressions, clicks },
  });
  return [
    { type: "auction", client: "p1", invokeAt: 0, completeAt: 5, result: { won: true, auctionId: "a1", model: "cpm", price: 3n } },
    { type: "auction", client: "p2", invokeAt: 0, completeAt: 6, result: { won: true, auctionId: "a2", model: "cpm", price: 3n } },
    { type: "auction", client: "p3", invokeAt: 0, completeAt: 7, result: { won: false } },
    read("r", 1, 2, 0n, 9n, 0, 0),
    { type: "event", client: "p1", invokeAt: 10, completeAt: 12, auctionId: "a1", kind: "impression", result: { status: 202 } },
    { type: "event", client: "p1", invokeAt: 10, completeAt: 12, auctionId: "a1", kind: "impression", result: { status: 202 } },
    read("r", 11, 13, 3n, 6n, 1, 0),
    { type: "event", client: "p2", invokeAt: 14, completeAt: 15, auctionId: "a2", kind: "impression", result: { status: 202 } },
    { type: "event", client: "p2", invokeAt: 16, completeAt: 17, auctionId: "a2", kind: "click", result: { status: 202 } },
    read("r", 18, 19, 3n, 6n, 1, 0), // the queue lags: an older state, still monotonic
    read("r", 40, 41, 6n, 0n, 2, 1, true),
  ];
}

describe("checkCampaignHistory", () => {
  it("accepts a correct concurrent history (duplicates charged once, lagging reads)", () => {
    expect(checkCampaignHistory(campaignGood())).toEqual([]);
  });

  it("detects an overspend: spent + reserved > budget in a read", () => {
    const h = campaignGood();
    h.push({ type: "read", client: "r2", invokeAt: 20, completeAt: 21, result: { spent: 3n, reserved: 7n, budget: 9n, impressions: 1, clicks: 0 } });
    expect(checkCampaignHistory(h).map((a) => a.kind)).toEqual(["overspent"]);
  });

  it("detects spent going backwards between reads ordered in real time", () => {
    const h = campaignGood();
    h.push({ type: "read", client: "r2", invokeAt: 20, completeAt: 21, result: { spent: 6n, reserved: 0n, budget: 9n, impressions: 2, clicks: 1 } });
    h.push({ type: "read", client: "r3", invokeAt: 22, completeAt: 23, result: { spent: 3n, reserved: 0n, budget: 9n, impressions: 1, clicks: 0 } });
    expect(checkCampaignHistory(h).map((a) => a.kind)).toEqual(["non_monotonic_read"]);
  });

  it("detects a charge nobody reported yet, or at a wrong price (unreachable read)", () => {
    const early = campaignGood();
    early.push({ type: "read", client: "r2", invokeAt: 3, completeAt: 4, result: { spent: 3n, reserved: 6n, budget: 9n, impressions: 1, clicks: 0 } });
    expect(checkCampaignHistory(early).map((a) => a.kind)).toEqual(["unreachable_read"]);
    const price = campaignGood();
    price.push({ type: "read", client: "r2", invokeAt: 20, completeAt: 21, result: { spent: 4n, reserved: 0n, budget: 9n, impressions: 1, clicks: 0 } });
    expect(checkCampaignHistory(price).map((a) => a.kind)).toEqual(["unreachable_read"]);
  });

  it("detects a double charge and a lost charge in the final state", () => {
    const twice = campaignGood();
    twice[twice.length - 1] = { type: "read", client: "r", invokeAt: 40, completeAt: 41, final: true, result: { spent: 9n, reserved: 0n, budget: 9n, impressions: 2, clicks: 1 } };
    expect(checkCampaignHistory(twice).map((a) => a.kind)).toEqual(["unreachable_read", "wrong_final"]);
    const lost = campaignGood();
    lost[lost.length - 1] = { type: "read", client: "r", invokeAt: 40, completeAt: 41, final: true, result: { spent: 3n, reserved: 0n, budget: 9n, impressions: 1, clicks: 1 } };
    expect(checkCampaignHistory(lost).map((a) => a.kind)).toContain("wrong_final");
  });
});
