// A sequential model of the ledger for property tests: replays events in block order and
// predicts balances, escrows and each event's outcome.
import fc from "fast-check";
import { signedEvent, type Identity } from "./client";
import { eventIdOf } from "../../src/lib/events";

export type Op =
  | { t: "transfer"; from: number; to: number; amount: number }
  | { t: "mint"; to: number; amount: number }
  | { t: "create"; from: number; to: number; amount: number }
  | { t: "release"; escrow: number }
  | { t: "refund"; escrow: number };

export const opsArb = (accounts: number, maxLen = 30, minLen = 5) =>
  fc.array(
    fc.oneof(
      { weight: 5, arbitrary: fc.record({ t: fc.constant("transfer" as const), from: fc.nat(accounts - 1), to: fc.nat(accounts - 1), amount: fc.integer({ min: 1, max: 600 }) }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant("mint" as const), to: fc.nat(accounts - 1), amount: fc.integer({ min: 1, max: 1000 }) }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant("create" as const), from: fc.nat(accounts - 1), to: fc.nat(accounts - 1), amount: fc.integer({ min: 1, max: 400 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("release" as const), escrow: fc.nat(10) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("refund" as const), escrow: fc.nat(10) }) },
    ),
    { minLength: minLen, maxLength: maxLen, size: "max" },
  );

/** A prepared op: the signed event (or admin mint request) and what the model needs. */
export interface Prepared {
  op: Op;
  event?: Record<string, unknown>;
  id?: string; // known up front for signed events
  mint?: { to: string; amount: string; key: string };
  kind: "transfer" | "mint" | "create" | "release" | "refund";
  author?: string;
  to?: string;
  amount?: bigint;
  instance?: string;
}

export async function prepare(ops: Op[], ids: Identity[], tag: string): Promise<Prepared[]> {
  const creates: { id: string; from: Identity; to: Identity }[] = [];
  const out: Prepared[] = [];
  for (const [i, op] of ops.entries()) {
    if (op.t === "mint") {
      out.push({ op, kind: "mint", mint: { to: ids[op.to]!.did, amount: String(op.amount), key: `${tag}-${i}` }, to: ids[op.to]!.did, amount: BigInt(op.amount) });
      continue;
    }
    if (op.t === "transfer") {
      const ev = await signedEvent(ids[op.from]!, "ledger.transfer", { to: ids[op.to]!.did, amount: String(op.amount) });
      out.push({ op, kind: "transfer", event: ev, id: await eventIdOf(ev as any), author: ids[op.from]!.did, to: ids[op.to]!.did, amount: BigInt(op.amount) });
      continue;
    }
    if (op.t === "create") {
      const ev = await signedEvent(ids[op.from]!, "contract.call", { contract: "escrow", version: 1, method: "create", args: { beneficiary: ids[op.to]!.did, amount: String(op.amount) } });
      const id = await eventIdOf(ev as any);
      creates.push({ id, from: ids[op.from]!, to: ids[op.to]! });
      out.push({ op, kind: "create", event: ev, id, author: ids[op.from]!.did, to: ids[op.to]!.did, amount: BigInt(op.amount) });
      continue;
    }
    const target = creates[op.escrow % Math.max(1, creates.length)];
    if (!target) continue; // nothing created yet: skip
    const who = op.t === "release" ? target.from : target.to;
    const ev = await signedEvent(who, "contract.call", { contract: "escrow", version: 1, method: op.t, args: {}, instance: target.id });
    out.push({ op, kind: op.t, event: ev, id: await eventIdOf(ev as any), author: who.did, instance: target.id });
  }
  return out;
}

export interface ModelState {
  balances: Map<string, bigint>;
  escrowed: Map<string, bigint>;
  escrows: Map<string, { depositor: string; beneficiary: string; amount: bigint; open: boolean }>;
  outcomes: Map<string, { status: "applied" | "failed"; reason?: string }>;
}

export function newModel(): ModelState {
  return { balances: new Map(), escrowed: new Map(), escrows: new Map(), outcomes: new Map() };
}

const get = (m: Map<string, bigint>, k: string) => m.get(k) ?? 0n;

/** Applies one prepared op (by its event id) in block order. */
export function applyModel(m: ModelState, p: Prepared, id: string): void {
  const ok = (): void => void m.outcomes.set(id, { status: "applied" });
  const fail = (reason: string): void => void m.outcomes.set(id, { status: "failed", reason });
  switch (p.kind) {
    case "mint":
      m.balances.set(p.to!, get(m.balances, p.to!) + p.amount!);
      return ok();
    case "transfer": {
      if (get(m.balances, p.author!) < p.amount!) return fail("insufficient_balance");
      m.balances.set(p.author!, get(m.balances, p.author!) - p.amount!);
      m.balances.set(p.to!, get(m.balances, p.to!) + p.amount!);
      return ok();
    }
    case "create": {
      if (get(m.balances, p.author!) < p.amount!) return fail("insufficient_balance");
      m.balances.set(p.author!, get(m.balances, p.author!) - p.amount!);
      m.escrowed.set(p.author!, get(m.escrowed, p.author!) + p.amount!);
      m.escrows.set(id, { depositor: p.author!, beneficiary: p.to!, amount: p.amount!, open: true });
      return ok();
    }
    default: {
      const e = m.escrows.get(p.instance!);
      if (!e) return fail("not_found");
      if (!e.open) return fail("contract_closed");
      if (p.kind === "release" && p.author !== e.depositor) return fail("forbidden");
      if (p.kind === "refund" && p.author !== e.beneficiary) return fail("forbidden");
      e.open = false;
      m.escrowed.set(e.depositor, get(m.escrowed, e.depositor) - e.amount);
      const payee = p.kind === "release" ? e.beneficiary : e.depositor;
      m.balances.set(payee, get(m.balances, payee) + e.amount);
      return ok();
    }
  }
}
