// The ledger side of PoE in the pure block executor: close claims the pool's revenue into
// the epoch's escrow, payouts mint emission and draw the escrow, an empty epoch rolls over —
// and minted − burned = circulating + escrowed + inFlight after every block.
import { describe, expect, it } from "vitest";
import { executeBlock, accountsTouched, ZERO_SUPPLY, type AccountState, type SequencedEvent, type Supply } from "../../src/ledger/executor";
import { POE_POOL } from "../../src/ledger/pool";
import { epochPoolAccount } from "../../src/poe/model";
import { didKeyFromPublicKey } from "../../src/lib/did";

const did = (b: number) => didKeyFromPublicKey(new Uint8Array(32).fill(b));
const SYS = did(9);
const A = did(1);
const B = did(2);
let n = 1000;
const ev = (kind: string, author: string, body: Record<string, unknown>): SequencedEvent => {
  n++;
  return { id: n.toString(16).padStart(64, "0"), sequence: n, event: { v: 1, kind, author, nonce: `n${n}`, createdAt: "2026-11-27T00:00:00.000Z", body, sig: "x" } as any };
};
const holds = (s: Supply) => s.minted - s.burned === s.circulating + s.escrowed + s.inFlight;

function run(accounts: Map<string, AccountState>, supply: Supply, events: SequencedEvent[]) {
  const out = executeBlock({ height: 7, createdAtMs: 0, events, accounts, contracts: new Map(), expiring: [], systemDid: SYS, supply });
  const next = new Map(accounts);
  for (const [d, a] of out.accounts) next.set(d, a);
  return { out, accounts: next };
}

describe("executor: sys.poe.close and sys.poe.payout", () => {
  // 300 units of ad revenue sit in the pool (as sys.ads.settle would leave them).
  const start = () => ({
    accounts: new Map<string, AccountState>([[POE_POOL, { balance: 0n, escrowed: 300n, reputation: 0 }], [A, { balance: 0n, escrowed: 0n, reputation: 50 }]]),
    supply: { ...ZERO_SUPPLY, minted: 300n, escrowed: 300n },
  });

  it("close claims the revenue; payouts mint the emission and draw the escrow; supply holds", () => {
    const s = start();
    const close = ev("sys.poe.close", SYS, { epoch: 4, key: "c4" });
    expect(accountsTouched([close], new Map())).toEqual(expect.arrayContaining([POE_POOL, epochPoolAccount(4)]));
    const r1 = run(s.accounts, s.supply, [close]);
    expect(r1.out.results[0]!.status).toBe("applied");
    expect(r1.accounts.get(POE_POOL)!.escrowed).toBe(0n);
    expect(r1.accounts.get(epochPoolAccount(4))!.escrowed).toBe(300n);
    expect(holds(r1.out.supply)).toBe(true);

    const payout = (batch: number, mint: string, fromPool: string, entries: unknown[]) =>
      ev("sys.poe.payout", SYS, { epoch: 4, batch, batches: 2, mint, fromPool, rollover: false, entries, key: `p4-${batch}` });
    const bad = payout(0, "1", "300", [{ did: A, amount: "300", gain: 0 }]); // sums don't match
    const over = payout(0, "0", "301", [{ did: A, amount: "301", gain: 0 }]); // more than escrowed
    const forged = ev("sys.poe.payout", A, { epoch: 4, batch: 0, batches: 1, mint: "5", fromPool: "0", rollover: false, entries: [{ did: A, amount: "5", gain: 0 }], key: "x" });
    const b0 = payout(0, "0", "300", [{ did: A, amount: "300", gain: 3 }]);
    const b1 = payout(1, "700", "0", [{ did: B, amount: "700", gain: 0 }]);
    const r2 = run(r1.accounts, r1.out.supply, [bad, over, forged, b0, b1]);
    expect(r2.out.results.map((r) => r.reason ?? r.status)).toEqual(["invalid_payout", "insufficient_pool", "unauthorized", "applied", "applied"]);
    expect(r2.accounts.get(A)).toEqual({ balance: 300n, escrowed: 0n, reputation: 48 }); // 50 → 45 + 3
    expect(r2.accounts.get(B)!.balance).toBe(700n);
    expect(r2.accounts.get(epochPoolAccount(4))!.escrowed).toBe(0n);
    expect(r2.out.supply).toMatchObject({ minted: 1000n, circulating: 1000n, escrowed: 0n });
    expect(holds(r2.out.supply)).toBe(true);
  });

  it("an empty epoch rolls its claimed revenue back into the pool and mints nothing", () => {
    const s = start();
    const r1 = run(s.accounts, s.supply, [ev("sys.poe.close", SYS, { epoch: 5, key: "c5" })]);
    const roll = ev("sys.poe.payout", SYS, { epoch: 5, batch: 0, batches: 1, mint: "0", fromPool: "0", rollover: true, entries: [{ did: A, amount: "0", gain: 0 }], key: "p5" });
    const r2 = run(r1.accounts, r1.out.supply, [roll]);
    expect(r2.out.results[0]!.status).toBe("applied");
    expect(r2.accounts.get(POE_POOL)!.escrowed).toBe(300n);
    expect(r2.accounts.get(epochPoolAccount(5))!.escrowed).toBe(0n);
    expect(r2.accounts.get(A)!.reputation).toBe(45); // decay still applies
    expect(r2.out.supply).toEqual(s.supply);
  });
});
