// Ledger effects of Proof of Engagement (DESIGN §8), called from the block executor's
// `case` arms. Pure and deterministic: they see accounts and supply only through `ops`.
//
// sys.poe.close {epoch}: claims the pool's unclaimed ad revenue (POE_POOL.escrowed) into the
//   epoch's own escrow account, so later settlements don't mix in. Supply is unchanged.
// sys.poe.payout {epoch, batch, mint, fromPool, entries, rollover}: credits every entry's
//   amount — `fromPool` drawn from the epoch's escrow, `mint` newly minted (emission is
//   minted at payout) — and moves every listed account's reputation to
//   min(100, decay(r) + gain). `rollover` (an empty epoch) returns the epoch's escrow to
//   POE_POOL and pays nothing. All checks run before any change: a batch applies whole or fails.
import type { SysPoeCloseBody, SysPoePayoutBody } from "../schemas/events";
import type { z } from "zod";
import type { AccountState, Supply } from "./executor";
import { POE_POOL } from "./pool";
import { epochPoolAccount, nextReputation } from "../poe/model";

export interface LedgerOps {
  account(did: string): AccountState;
  put(did: string, a: AccountState): void;
  supply: Supply;
}

type CloseBody = z.infer<typeof SysPoeCloseBody>;
type PayoutBody = z.infer<typeof SysPoePayoutBody>;

/** Accounts a PoE system event reads and writes (for the executor's read round). */
export function poeAccountsTouched(kind: string, body: unknown, out: Set<string>): void {
  if (kind === "sys.poe.close") {
    out.add(POE_POOL);
    out.add(epochPoolAccount((body as CloseBody).epoch));
  } else if (kind === "sys.poe.payout") {
    const b = body as PayoutBody;
    out.add(POE_POOL);
    out.add(epochPoolAccount(b.epoch));
    for (const e of b.entries) out.add(e.did);
  }
}

/** Returns a failure reason, or null once applied. */
export function applyPoeClose(body: CloseBody, ops: LedgerOps): string | null {
  const pool = ops.account(POE_POOL);
  const acct = epochPoolAccount(body.epoch);
  const claimed = pool.escrowed;
  ops.put(POE_POOL, { ...pool, escrowed: 0n });
  const ep = ops.account(acct);
  ops.put(acct, { ...ep, escrowed: ep.escrowed + claimed });
  return null;
}

export function applyPoePayout(body: PayoutBody, ops: LedgerOps): string | null {
  const acct = epochPoolAccount(body.epoch);
  const mint = BigInt(body.mint);
  const fromPool = BigInt(body.fromPool);
  let sum = 0n;
  const seen = new Set<string>();
  for (const e of body.entries) {
    if (seen.has(e.did)) return "invalid_payout";
    seen.add(e.did);
    sum += BigInt(e.amount);
  }
  if (sum !== mint + fromPool) return "invalid_payout";
  if (body.rollover && sum !== 0n) return "invalid_payout";
  const ep = ops.account(acct);
  if (ep.escrowed < fromPool) return "insufficient_pool";

  if (body.rollover) {
    const pool = ops.account(POE_POOL);
    ops.put(acct, { ...ep, escrowed: 0n });
    ops.put(POE_POOL, { ...pool, escrowed: pool.escrowed + ep.escrowed });
  } else if (fromPool > 0n) {
    ops.put(acct, { ...ep, escrowed: ep.escrowed - fromPool });
    ops.supply.escrowed -= fromPool;
    ops.supply.circulating += fromPool;
  }
  ops.supply.minted += mint;
  ops.supply.circulating += mint;
  for (const e of body.entries) {
    const a = ops.account(e.did);
    ops.put(e.did, { ...a, balance: a.balance + BigInt(e.amount), reputation: nextReputation(a.reputation, e.gain) });
  }
  return null;
}
