// Campaign escrow in the pure block executor: create/update/settle/close move money between
// balance, escrow, publishers and the PoE pool, and the supply identity holds after each block.
import { describe, expect, it } from "vitest";
import { executeBlock, accountsTouched, instancesTouched, ZERO_SUPPLY, type AccountState, type SequencedEvent, type Supply } from "../../src/ledger/executor";
import type { ContractState } from "../../src/ledger/contracts";
import { POE_POOL } from "../../src/ledger/pool";
import { didKeyFromPublicKey } from "../../src/lib/did";

const did = (b: number) => didKeyFromPublicKey(new Uint8Array(32).fill(b));
const SYS = did(9);
const ADV = did(1);
const PUB = did(2);
const OTHER = did(3);
let n = 0;
const ev = (kind: string, author: string, body: Record<string, unknown>): SequencedEvent => {
  n++;
  return { id: n.toString(16).padStart(64, "0"), sequence: n, event: { v: 1, kind, author, nonce: `n${n}`, createdAt: "2026-11-27T00:00:00.000Z", body, sig: "x" } as any };
};
const create = (author: string, budget: string, extra: Record<string, unknown> = {}) =>
  ev("campaign.create", author, { name: "c", bid: { model: "cpm", amount: "5000" }, budget, targeting: {}, creative: { title: "t", text: "x", url: "https://e.com" }, ...extra });

const holds = (s: Supply) => expect(s.minted - s.burned).toBe(s.circulating + s.escrowed + s.inFlight);

function run(events: SequencedEvent[], accounts: Map<string, AccountState>, contracts: Map<string, ContractState>, supply: Supply) {
  // The same two read rounds as the Sequencer: instances, then the accounts they imply.
  expect(instancesTouched(events, []).every((id) => typeof id === "string")).toBe(true);
  const touched = accountsTouched(events, contracts);
  const out = executeBlock({ height: 2, createdAtMs: Date.parse("2026-11-27T01:00:00.000Z"), events, accounts, contracts, expiring: [], systemDid: SYS, supply });
  for (const did of out.accounts.keys()) expect(touched).toContain(did);
  return out;
}

describe("campaign escrow (executor)", () => {
  it("create escrows the budget or fails insufficient_balance; settle pays publisher and pool; close refunds the rest", () => {
    const supply0: Supply = { ...ZERO_SUPPLY, minted: 1000n, circulating: 1000n };
    const c1 = create(ADV, "600");
    const c2 = create(ADV, "401");
    const b1 = run([c1, c2], new Map([[ADV, { balance: 1000n, escrowed: 0n, reputation: 0 }]]), new Map(), supply0);
    expect(b1.results.map((r) => r.reason ?? r.status)).toEqual(["applied", "insufficient_balance"]);
    expect(b1.accounts.get(ADV)).toEqual({ balance: 400n, escrowed: 600n, reputation: 0 });
    expect(b1.supply).toMatchObject({ circulating: 400n, escrowed: 600n });
    holds(b1.supply);
    expect(b1.contracts.get(c1.id)).toMatchObject({ contract: "campaign", advertiser: ADV, escrow: "600", status: "active" });

    const contracts = new Map<string, ContractState>([[c1.id, b1.contracts.get(c1.id)!]]);
    const accounts = new Map<string, AccountState>([[ADV, b1.accounts.get(ADV)!]]);
    const settle = ev("sys.ads.settle", SYS, { key: "k1", campaign: c1.id, charges: [{ publisher: PUB, amount: "100", publisherShare: "70" }] });
    const forged = ev("sys.ads.settle", OTHER, { key: "k2", campaign: c1.id, charges: [{ publisher: OTHER, amount: "100", publisherShare: "100" }] });
    const tooMuch = ev("sys.ads.settle", SYS, { key: "k3", campaign: c1.id, charges: [{ publisher: PUB, amount: "501", publisherShare: "0" }] });
    const earlyClose = ev("sys.ads.settle", SYS, { key: "k4", campaign: c1.id, charges: [], close: true });
    const byOther = ev("campaign.update", OTHER, { campaign: c1.id, status: "ended" });
    const end = ev("campaign.update", ADV, { campaign: c1.id, status: "ended" });
    const addAfterEnd = ev("campaign.update", ADV, { campaign: c1.id, addBudget: "1" });
    const close = ev("sys.ads.settle", SYS, { key: "k5", campaign: c1.id, charges: [{ publisher: PUB, amount: "50", publisherShare: "35" }], close: true });
    const b2 = run([settle, forged, tooMuch, earlyClose, byOther, end, addAfterEnd, close], accounts, contracts, b1.supply);
    expect(b2.results.map((r) => r.reason ?? r.status)).toEqual([
      "applied",
      "unauthorized",
      "insufficient_escrow",
      "campaign_not_ended",
      "forbidden",
      "applied",
      "campaign_ended",
      "applied",
    ]);
    expect(b2.accounts.get(PUB)!.balance).toBe(105n);
    expect(b2.accounts.get(POE_POOL)!.escrowed).toBe(45n);
    // 600 escrowed − 150 charged = 450 refunded.
    expect(b2.accounts.get(ADV)).toEqual({ balance: 850n, escrowed: 0n, reputation: 0 });
    expect(b2.contracts.get(c1.id)).toMatchObject({ escrow: "0", settled: "150", status: "closed" });
    expect(b2.supply).toMatchObject({ circulating: 955n, escrowed: 45n });
    holds(b2.supply);
  });

  it("endsAt ends a campaign by block time: updates fail campaign_ended and a close refunds without campaign.update", () => {
    // Blocks in run() are created at 01:00; one campaign ends at 00:30, the other at 02:00.
    const past = create(ADV, "100", { endsAt: "2026-11-27T00:30:00.000Z" });
    const future = create(ADV, "100", { endsAt: "2026-11-27T02:00:00.000Z" });
    const b1 = run([past, future], new Map([[ADV, { balance: 200n, escrowed: 0n, reputation: 0 }]]), new Map(), { ...ZERO_SUPPLY, minted: 200n, circulating: 200n });
    expect(b1.results.map((r) => r.status)).toEqual(["applied", "applied"]);
    expect(b1.contracts.get(past.id)).toMatchObject({ endsAt: "2026-11-27T00:30:00.000Z", status: "active" });
    const contracts = new Map<string, ContractState>([...b1.contracts]);
    const accounts = new Map<string, AccountState>([[ADV, b1.accounts.get(ADV)!]]);
    const b2 = run(
      [
        ev("campaign.update", ADV, { campaign: past.id, addBudget: "1" }),
        ev("campaign.update", ADV, { campaign: past.id, status: "active" }),
        ev("sys.ads.settle", SYS, { key: "p1", campaign: past.id, charges: [{ publisher: PUB, amount: "10", publisherShare: "7" }] }),
        ev("sys.ads.settle", SYS, { key: "f1", campaign: future.id, charges: [], close: true }),
        ev("sys.ads.settle", SYS, { key: "p2", campaign: past.id, charges: [], close: true }),
        ev("campaign.update", ADV, { campaign: future.id, addBudget: "1" }),
      ],
      accounts,
      contracts,
      b1.supply,
    );
    // Charges made before the end still settle; the future campaign is not ended yet.
    expect(b2.results.map((r) => r.reason ?? r.status)).toEqual(["campaign_ended", "campaign_ended", "applied", "campaign_not_ended", "applied", "applied"]);
    expect(b2.contracts.get(past.id)).toMatchObject({ status: "closed", escrow: "0", settled: "10" });
    expect(b2.contracts.get(future.id)).toMatchObject({ status: "active", escrow: "101" });
    // 200 − 200 escrowed − 1 added + 90 refunded.
    expect(b2.accounts.get(ADV)).toEqual({ balance: 89n, escrowed: 101n, reputation: 0 });
    holds(b2.supply);
  });

  it("an escrow contract call cannot touch a campaign's state", () => {
    const c = create(ADV, "10");
    const b1 = run([c], new Map([[ADV, { balance: 10n, escrowed: 0n, reputation: 0 }]]), new Map(), { ...ZERO_SUPPLY, minted: 10n, circulating: 10n });
    const release = ev("contract.call", ADV, { contract: "escrow", version: 1, instance: c.id, method: "release", args: {} });
    const b2 = run([release], new Map([[ADV, b1.accounts.get(ADV)!]]), new Map([[c.id, b1.contracts.get(c.id)!]]), b1.supply);
    expect(b2.results[0]).toMatchObject({ status: "failed", reason: "not_found" });
  });
});
