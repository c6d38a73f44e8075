// Campaign escrow in the ledger (DESIGN §7): the pure transitions the block executor runs for
// campaign.create, campaign.update and sys.ads.settle, one event at a time in sequence order.
// A campaign's ledger state is a contract-like state kept by the ContractInstance mechanism
// (one instance per campaign id, versioned by height), so it is read as of h−1 and written
// once per block like every other instance.
import type { AnySignedEvent } from "../schemas/events";
import type { AccountState, Supply } from "./executor";
import { POE_POOL } from "./pool";

export interface CampaignLedgerState {
  contract: "campaign";
  version: 1;
  advertiser: string;
  /** Total budget moved into escrow (create + every addBudget). */
  funded: string;
  /** Still in escrow: funded − settled − refunded. */
  escrow: string;
  settled: string;
  /** active | paused: as the advertiser set it; ended: no more budget or status changes;
   *  closed: the unspent escrow went back to the advertiser (sys.ads.settle close). */
  status: "active" | "paused" | "ended" | "closed";
  createdHeight: number;
  closedHeight?: number;
  /** The create event's `endsAt`: from the first block at or after it, the campaign is ended. */
  endsAt?: string;
}

export interface CampaignCtx {
  height: number;
  /** The block's createdAt: the only clock a campaign's `endsAt` is judged by. */
  timeMs: number;
  systemDid: string;
  account(did: string): AccountState;
  put(did: string, a: AccountState): void;
  campaign(id: string): CampaignLedgerState | undefined;
  setCampaign(id: string, s: CampaignLedgerState): void;
  supply: Supply;
}

/** Instances (campaign ids) a campaign-related event reads. */
export function campaignInstancesTouched(event: AnySignedEvent): string[] {
  if (event.kind === "campaign.update") return [event.body.campaign];
  if (event.kind === "sys.ads.settle") return [event.body.campaign];
  return [];
}

/** Accounts a campaign-related event touches besides its author. */
export function campaignAccountsTouched(event: AnySignedEvent, state: CampaignLedgerState | undefined): string[] {
  if (event.kind === "sys.ads.settle") return [...event.body.charges.map((c) => c.publisher), POE_POOL, ...(state ? [state.advertiser] : [])];
  if (event.kind === "campaign.update" && state) return [state.advertiser];
  return [];
}

export const isCampaignState = (s: { contract: string } | undefined): s is CampaignLedgerState => s?.contract === "campaign";

/** Ended by the advertiser, or by its `endsAt` as of this block's time. */
function isEnded(ctx: CampaignCtx, s: CampaignLedgerState): boolean {
  return s.status === "ended" || (s.endsAt !== undefined && Date.parse(s.endsAt) <= ctx.timeMs);
}

/** Moves `amount` of the advertiser's balance into escrow; false when the balance is short. */
function lock(ctx: CampaignCtx, did: string, amount: bigint): boolean {
  const a = ctx.account(did);
  if (a.balance < amount) return false;
  ctx.put(did, { ...a, balance: a.balance - amount, escrowed: a.escrowed + amount });
  ctx.supply.circulating -= amount;
  ctx.supply.escrowed += amount;
  return true;
}

/** Applies one campaign event; returns null (applied) or the failure reason. */
export function applyCampaignEvent(ctx: CampaignCtx, id: string, event: AnySignedEvent): string | null {
  switch (event.kind) {
    case "campaign.create": {
      const budget = BigInt(event.body.budget);
      if (!lock(ctx, event.author, budget)) return "insufficient_balance";
      // The campaign id is the id of the event that created it.
      ctx.setCampaign(id, {
        contract: "campaign",
        version: 1,
        advertiser: event.author,
        funded: budget.toString(),
        escrow: budget.toString(),
        settled: "0",
        status: "active",
        createdHeight: ctx.height,
        ...(event.body.endsAt !== undefined ? { endsAt: event.body.endsAt } : {}),
      });
      return null;
    }
    case "campaign.update": {
      const s = ctx.campaign(event.body.campaign);
      if (!s) return "campaign_not_found";
      if (s.advertiser !== event.author) return "forbidden";
      if (s.status === "closed" || isEnded(ctx, s)) return "campaign_ended";
      let next = { ...s };
      if (event.body.addBudget !== undefined) {
        const add = BigInt(event.body.addBudget);
        if (!lock(ctx, event.author, add)) return "insufficient_balance";
        next = { ...next, funded: (BigInt(next.funded) + add).toString(), escrow: (BigInt(next.escrow) + add).toString() };
      }
      if (event.body.status !== undefined) next.status = event.body.status;
      ctx.setCampaign(event.body.campaign, next);
      return null;
    }
    case "sys.ads.settle": {
      if (event.author !== ctx.systemDid) return "unauthorized";
      const s = ctx.campaign(event.body.campaign);
      if (!s) return "campaign_not_found";
      if (s.status === "closed") return "campaign_closed";
      if (event.body.close && !isEnded(ctx, s)) return "campaign_not_ended";
      let total = 0n;
      for (const c of event.body.charges) {
        if (BigInt(c.publisherShare) > BigInt(c.amount)) return "invalid_share";
        total += BigInt(c.amount);
      }
      let escrow = BigInt(s.escrow);
      if (total > escrow) return "insufficient_escrow";
      // Each charge leaves the advertiser's escrow: the publisher's share becomes circulating
      // balance, the rest stays escrowed in the PoE pool until an epoch claims it.
      const adv = ctx.account(s.advertiser);
      ctx.put(s.advertiser, { ...adv, escrowed: adv.escrowed - total });
      let pool = 0n;
      for (const c of event.body.charges) {
        const share = BigInt(c.publisherShare);
        const pub = ctx.account(c.publisher);
        ctx.put(c.publisher, { ...pub, balance: pub.balance + share });
        ctx.supply.escrowed -= share;
        ctx.supply.circulating += share;
        pool += BigInt(c.amount) - share;
      }
      if (pool > 0n) {
        const p = ctx.account(POE_POOL);
        ctx.put(POE_POOL, { ...p, escrowed: p.escrowed + pool });
      }
      escrow -= total;
      const next: CampaignLedgerState = { ...s, escrow: escrow.toString(), settled: (BigInt(s.settled) + total).toString() };
      if (event.body.close) {
        const a = ctx.account(s.advertiser);
        ctx.put(s.advertiser, { ...a, balance: a.balance + escrow, escrowed: a.escrowed - escrow });
        ctx.supply.escrowed -= escrow;
        ctx.supply.circulating += escrow;
        next.escrow = "0";
        next.status = "closed";
        next.closedHeight = ctx.height;
      }
      ctx.setCampaign(event.body.campaign, next);
      return null;
    }
    default:
      return null;
  }
}
