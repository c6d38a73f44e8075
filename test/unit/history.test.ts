// The history checker finds stale reads and lost updates, not only wrong totals.
import { describe, expect, it } from "vitest";
import { checkHistory, type HistoryOp } from "../helpers/history";

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
