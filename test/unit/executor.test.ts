import { describe, expect, it } from "vitest";
import { executeBlock, accountsTouched, instancesTouched, ZERO_SUPPLY, type AccountState, type SequencedEvent } from "../../src/ledger/executor";
import type { EscrowState } from "../../src/ledger/contracts";
import { blockHash, makeBlock, verifyChain, GENESIS_PREV_HASH } from "../../src/lib/blocks";
import { canonicalize } from "../../src/lib/jcs";
import { sha256Hex } from "../../src/lib/crypto";
import { didKeyFromPublicKey } from "../../src/lib/did";

const did = (b: number) => didKeyFromPublicKey(new Uint8Array(32).fill(b));
const SYS = did(9);
const A = did(1);
const B = did(2);
const C = did(3);
let n = 0;
const ev = (kind: string, author: string, body: Record<string, unknown>): SequencedEvent => {
  n++;
  return { id: n.toString(16).padStart(64, "0"), sequence: n, event: { v: 1, kind, author, nonce: `n${n}`, createdAt: "2026-11-27T00:00:00.000Z", body, sig: "x" } as any };
};
const acct = (balance: bigint, escrowed = 0n, reputation = 0): AccountState => ({ balance, escrowed, reputation });
const base = { height: 5, createdAtMs: Date.parse("2026-11-27T01:00:00.000Z"), contracts: new Map(), expiring: [], systemDid: SYS, supply: { ...ZERO_SUPPLY, minted: 100n, circulating: 100n } };

describe("executeBlock", () => {
  it("runs events in sequence order: a credit is spendable by the very next event", () => {
    const events = [ev("ledger.transfer", A, { to: B, amount: "100" }), ev("ledger.transfer", B, { to: C, amount: "60" }), ev("ledger.transfer", B, { to: C, amount: "41" })];
    const out = executeBlock({ ...base, events, accounts: new Map([[A, acct(100n)]]) });
    expect(out.results.map((r) => r.status)).toEqual(["applied", "applied", "failed"]);
    expect(out.results[2]!.reason).toBe("insufficient_balance");
    expect(out.accounts.get(A)!.balance).toBe(0n);
    expect(out.accounts.get(B)!.balance).toBe(40n);
    expect(out.accounts.get(C)!.balance).toBe(60n);
    expect(out.supply).toEqual(base.supply);
  });

  it("self-transfer nets to zero; only the system mints; reputation is set", () => {
    const events = [
      ev("ledger.transfer", A, { to: A, amount: "10" }),
      ev("sys.mint", A, { to: A, amount: "999", key: "k" }),
      ev("sys.mint", SYS, { to: B, amount: "50", key: "k2" }),
      ev("sys.reputation", SYS, { did: C, score: 77, key: "k3" }),
    ];
    const out = executeBlock({ ...base, events, accounts: new Map([[A, acct(10n)]]) });
    expect(out.results.map((r) => r.reason ?? r.status)).toEqual(["applied", "unauthorized", "applied", "applied"]);
    expect(out.accounts.get(A)!.balance).toBe(10n);
    expect(out.accounts.get(B)!.balance).toBe(50n);
    expect(out.accounts.get(C)!.reputation).toBe(77);
    expect(out.supply.minted).toBe(150n);
    expect(out.supply.circulating).toBe(150n);
  });

  it("escrow create/release/refund move funds in and out once and keep the supply identity", () => {
    const create = ev("contract.call", A, { contract: "escrow", version: 1, method: "create", args: { beneficiary: B, amount: "30", expiresAt: "2026-11-28T00:00:00.000Z" } });
    const release = ev("contract.call", A, { contract: "escrow", version: 1, method: "release", args: {}, instance: create.id });
    const again = ev("contract.call", A, { contract: "escrow", version: 1, method: "release", args: {}, instance: create.id });
    const out = executeBlock({ ...base, events: [create, release, again], accounts: new Map([[A, acct(100n)]]) });
    expect(out.results.map((r) => r.reason ?? r.status)).toEqual(["applied", "applied", "contract_closed"]);
    expect(out.accounts.get(A)).toEqual(acct(70n, 0n));
    expect(out.accounts.get(B)).toEqual(acct(30n));
    expect((out.contracts.get(create.id) as EscrowState).status).toBe("released");
    expect(out.deadlinesSet.size).toBe(0);
    expect(out.deadlinesCleared.has(create.id)).toBe(true);
    const s = out.supply;
    expect(s.minted - s.burned).toBe(s.circulating + s.escrowed + s.inFlight);
  });

  it("expired escrows are refunded at the start of the block, before its events", () => {
    const id = "e".repeat(64);
    const state: EscrowState = { contract: "escrow", version: 1, depositor: A, beneficiary: B, amount: "40", expiresAt: "2026-11-27T00:30:00.000Z", status: "open", createdHeight: 2 };
    const release = ev("contract.call", A, { contract: "escrow", version: 1, method: "release", args: {}, instance: id });
    const spend = ev("ledger.transfer", A, { to: C, amount: "40" });
    const out = executeBlock({
      ...base,
      events: [release, spend],
      accounts: new Map([[A, acct(0n, 40n)]]),
      contracts: new Map([[id, state]]),
      expiring: [id],
      supply: { ...ZERO_SUPPLY, minted: 40n, escrowed: 40n },
    });
    expect(out.results.map((r) => r.reason ?? r.status)).toEqual(["contract_closed", "applied"]);
    expect((out.contracts.get(id) as EscrowState).status).toBe("expired");
    expect(out.accounts.get(A)).toEqual(acct(0n, 0n));
    expect(out.accounts.get(C)!.balance).toBe(40n);
    expect(out.supply).toMatchObject({ escrowed: 0n, circulating: 40n });
  });

  it("is deterministic and does not mutate its inputs", () => {
    const events = [ev("ledger.transfer", A, { to: B, amount: "1" })];
    const accounts = new Map([[A, acct(5n)]]);
    const a = executeBlock({ ...base, events, accounts });
    const b = executeBlock({ ...base, events, accounts });
    expect(a).toEqual(b);
    expect(accounts.get(A)).toEqual(acct(5n));
  });

  it("lists the accounts and instances a block touches", () => {
    const id = "f".repeat(64);
    const events = [ev("ledger.transfer", A, { to: B, amount: "1" }), ev("contract.call", C, { contract: "escrow", version: 1, method: "refund", args: {}, instance: id })];
    expect(instancesTouched(events, ["a".repeat(64)])).toEqual(["a".repeat(64), id]);
    const state: EscrowState = { contract: "escrow", version: 1, depositor: did(4), beneficiary: C, amount: "1", status: "open", createdHeight: 1 };
    expect(accountsTouched(events, new Map([[id, state]]))).toEqual([A, B, C, did(4)].sort());
  });
});

describe("blocks", () => {
  it("hash = sha256(JCS({height, prevHash, createdAt, events})) and chains link", async () => {
    const g = makeBlock(0, GENESIS_PREV_HASH, "2026-11-27T00:00:00.000Z", []);
    expect(g.hash).toBe(await sha256Hex(canonicalize({ height: 0, prevHash: GENESIS_PREV_HASH, createdAt: g.createdAt, events: [] })));
    const b1 = makeBlock(1, g.hash, "2026-11-27T00:00:01.000Z", ["ab".repeat(32)]);
    expect(verifyChain([g, b1])).toEqual([]);
    expect(verifyChain([g, { ...b1, events: [] }])).not.toEqual([]);
    expect(verifyChain([g, { ...b1, prevHash: "1".repeat(64), hash: blockHash({ ...b1, prevHash: "1".repeat(64) }) }])).not.toEqual([]);
  });
});
