// The block executor's pure core. The effect of block h is its events run one by one in
// sequence order on the state after h−1: a credit is spendable by the very next event. No
// clock but the block's createdAt, no randomness, BigInt money: same inputs, same outputs.
import type { AnySignedEvent } from "../schemas/events";
import { checkContractCall, EscrowCreateArgs, type ContractState, type EscrowState } from "./contracts";
import { applyPoeClose, applyPoePayout, poeAccountsTouched } from "./poe";
import { applyCampaignEvent, campaignAccountsTouched, campaignInstancesTouched, isCampaignState, type CampaignLedgerState } from "./campaigns";

export interface AccountState {
  balance: bigint;
  escrowed: bigint;
  reputation: number;
}

export interface Supply {
  minted: bigint;
  burned: bigint;
  circulating: bigint;
  escrowed: bigint;
  inFlight: bigint;
}

export const ZERO_ACCOUNT: AccountState = Object.freeze({ balance: 0n, escrowed: 0n, reputation: 0 });
export const ZERO_SUPPLY: Supply = Object.freeze({ minted: 0n, burned: 0n, circulating: 0n, escrowed: 0n, inFlight: 0n });

export interface SequencedEvent {
  id: string;
  sequence: number;
  event: AnySignedEvent;
}

export interface BlockInput {
  height: number;
  createdAtMs: number;
  events: SequencedEvent[];
  /** State after h−1 of every account the block touches (absent = zero). */
  accounts: ReadonlyMap<string, AccountState>;
  /** State after h−1 of every contract instance the block touches. */
  contracts: ReadonlyMap<string, ContractState>;
  /** Instances whose deadline is ≤ createdAt, in (deadline, instance) order. */
  expiring: readonly string[];
  systemDid: string;
  supply: Supply;
}

export interface EventResult {
  id: string;
  status: "applied" | "failed";
  reason?: string;
}

export interface BlockOutput {
  results: EventResult[];
  accounts: Map<string, AccountState>; // changed accounts, final values
  contracts: Map<string, ContractState>; // changed instances, final states
  deadlinesSet: Map<string, number>;
  deadlinesCleared: Set<string>;
  supply: Supply;
}

/** Contract instances a block needs to read (first round). */
export function instancesTouched(events: readonly SequencedEvent[], expiring: readonly string[]): string[] {
  const out = new Set(expiring);
  for (const { event } of events) {
    if (event.kind === "contract.call" && event.body.instance) out.add(event.body.instance);
    for (const c of campaignInstancesTouched(event)) out.add(c);
  }
  return [...out].sort();
}

/** Accounts a block needs to read (second round, once instance states are known). */
export function accountsTouched(events: readonly SequencedEvent[], contracts: ReadonlyMap<string, ContractState>): string[] {
  const out = new Set<string>();
  for (const { event } of events) {
    // Content and interactions have no ledger effect: their authors need no read.
    if (!event.kind.startsWith("content.") && !event.kind.startsWith("interaction.")) out.add(event.author);
    switch (event.kind) {
      case "ledger.transfer":
        out.add(event.body.to);
        break;
      case "sys.mint":
        out.add(event.body.to);
        break;
      case "sys.reputation":
        out.add(event.body.did);
        break;
      case "sys.poe.close":
      case "sys.poe.payout":
        poeAccountsTouched(event.kind, event.body, out);
        break;
      case "contract.call": {
        const args = EscrowCreateArgs.safeParse(event.body.args);
        if (args.success) out.add(args.data.beneficiary);
        break;
      }
      case "campaign.update":
      case "sys.ads.settle": {
        const s = contracts.get(event.body.campaign);
        for (const did of campaignAccountsTouched(event, isCampaignState(s) ? s : undefined)) out.add(did);
        break;
      }
    }
  }
  for (const s of contracts.values()) {
    if (isCampaignState(s)) continue;
    out.add(s.depositor);
    out.add(s.beneficiary);
  }
  return [...out].sort();
}

export function executeBlock(input: BlockInput): BlockOutput {
  const accounts = new Map<string, AccountState>();
  const contracts = new Map<string, ContractState>();
  const deadlinesSet = new Map<string, number>();
  const deadlinesCleared = new Set<string>();
  const supply: Supply = { ...input.supply };
  const results: EventResult[] = [];

  const account = (did: string): AccountState => accounts.get(did) ?? input.accounts.get(did) ?? ZERO_ACCOUNT;
  const put = (did: string, a: AccountState) => accounts.set(did, a);
  const contract = (id: string): ContractState | undefined => contracts.get(id) ?? input.contracts.get(id);
  const closeEscrow = (id: string, s: EscrowState, status: EscrowState["status"], payee: string) => {
    const amount = BigInt(s.amount);
    const dep = account(s.depositor);
    put(s.depositor, { ...dep, escrowed: dep.escrowed - amount });
    const to = account(payee);
    put(payee, { ...to, balance: to.balance + amount });
    supply.escrowed -= amount;
    supply.circulating += amount;
    contracts.set(id, { ...s, status, closedHeight: input.height });
    deadlinesSet.delete(id);
    deadlinesCleared.add(id);
  };

  const campaignCtx = {
    height: input.height,
    timeMs: input.createdAtMs,
    systemDid: input.systemDid,
    account,
    put,
    campaign: (cid: string): CampaignLedgerState | undefined => {
      const s = contract(cid);
      return isCampaignState(s) ? s : undefined;
    },
    setCampaign: (cid: string, s: CampaignLedgerState) => contracts.set(cid, s),
    supply,
  };

  // Deadlines first: an escrow expired by this block's time is refunded before its events run.
  for (const id of input.expiring) {
    const s = contract(id);
    if (s && s.contract === "escrow" && s.status === "open" && s.expiresAt !== undefined && Date.parse(s.expiresAt) <= input.createdAtMs) {
      closeEscrow(id, s, "expired", s.depositor);
    } else {
      deadlinesCleared.add(id);
    }
  }

  for (const { id, event } of input.events) {
    const fail = (reason: string) => results.push({ id, status: "failed", reason });
    const ok = () => results.push({ id, status: "applied" });
    switch (event.kind) {
      case "ledger.transfer": {
        const amount = BigInt(event.body.amount);
        const from = account(event.author);
        if (from.balance < amount) {
          fail("insufficient_balance");
          break;
        }
        put(event.author, { ...from, balance: from.balance - amount });
        const to = account(event.body.to); // read after the debit: a self-transfer nets to zero
        put(event.body.to, { ...to, balance: to.balance + amount });
        ok();
        break;
      }
      case "sys.mint": {
        if (event.author !== input.systemDid) {
          fail("unauthorized");
          break;
        }
        const amount = BigInt(event.body.amount);
        const to = account(event.body.to);
        put(event.body.to, { ...to, balance: to.balance + amount });
        supply.minted += amount;
        supply.circulating += amount;
        ok();
        break;
      }
      case "sys.reputation": {
        if (event.author !== input.systemDid) {
          fail("unauthorized");
          break;
        }
        put(event.body.did, { ...account(event.body.did), reputation: event.body.score });
        ok();
        break;
      }
      case "sys.poe.close":
      case "sys.poe.payout": {
        if (event.author !== input.systemDid) {
          fail("unauthorized");
          break;
        }
        const ops = { account, put, supply };
        const reason = event.kind === "sys.poe.close" ? applyPoeClose(event.body, ops) : applyPoePayout(event.body, ops);
        if (reason) fail(reason);
        else ok();
        break;
      }
      case "contract.call": {
        const invalid = checkContractCall(event.body);
        if (invalid) {
          fail(invalid);
          break;
        }
        const { method } = event.body;
        if (method === "create") {
          const args = EscrowCreateArgs.parse(event.body.args);
          const amount = BigInt(args.amount);
          const dep = account(event.author);
          if (dep.balance < amount) {
            fail("insufficient_balance");
            break;
          }
          put(event.author, { ...dep, balance: dep.balance - amount, escrowed: dep.escrowed + amount });
          supply.circulating -= amount;
          supply.escrowed += amount;
          const state: EscrowState = {
            contract: "escrow",
            version: 1,
            depositor: event.author,
            beneficiary: args.beneficiary,
            amount: args.amount,
            status: "open",
            createdHeight: input.height,
          };
          if (args.expiresAt !== undefined) {
            state.expiresAt = args.expiresAt;
            deadlinesSet.set(id, Date.parse(args.expiresAt));
          }
          contracts.set(id, state); // the instance id is the id of the event that created it
          ok();
          break;
        }
        const instance = event.body.instance!;
        const s = contract(instance);
        if (!s || s.contract !== "escrow") {
          fail("not_found");
          break;
        }
        if (s.status !== "open") {
          fail("contract_closed");
          break;
        }
        if (method === "release") {
          if (event.author !== s.depositor) {
            fail("forbidden");
            break;
          }
          closeEscrow(instance, s, "released", s.beneficiary);
          ok();
          break;
        }
        // refund: the beneficiary at any time, the depositor once expired.
        const expired = s.expiresAt !== undefined && Date.parse(s.expiresAt) <= input.createdAtMs;
        if (event.author !== s.beneficiary && !(event.author === s.depositor && expired)) {
          fail("forbidden");
          break;
        }
        closeEscrow(instance, s, "refunded", s.depositor);
        ok();
        break;
      }
      case "campaign.create":
      case "campaign.update":
      case "sys.ads.settle": {
        const reason = applyCampaignEvent(campaignCtx, id, event);
        if (reason) fail(reason);
        else ok();
        break;
      }
      default:
        // Content and interactions carry no ledger effect: ordered and applied.
        ok();
    }
  }
  return { results, accounts, contracts, deadlinesSet, deadlinesCleared, supply };
}

// ---- wire forms (RPC and JSON carry money as decimal strings) ----

export interface AccountWire {
  balance: string;
  escrowed: string;
  reputation: number;
}

export const accountToWire = (a: AccountState): AccountWire => ({ balance: a.balance.toString(), escrowed: a.escrowed.toString(), reputation: a.reputation });
export const accountFromWire = (w: AccountWire): AccountState => ({ balance: BigInt(w.balance), escrowed: BigInt(w.escrowed), reputation: w.reputation });

export type SupplyWire = Record<keyof Supply, string>;
export const supplyToWire = (s: Supply): SupplyWire => ({
  minted: s.minted.toString(),
  burned: s.burned.toString(),
  circulating: s.circulating.toString(),
  escrowed: s.escrowed.toString(),
  inFlight: s.inFlight.toString(),
});
export const supplyFromWire = (w: SupplyWire): Supply => ({
  minted: BigInt(w.minted),
  burned: BigInt(w.burned),
  circulating: BigInt(w.circulating),
  escrowed: BigInt(w.escrowed),
  inFlight: BigInt(w.inFlight),
});
