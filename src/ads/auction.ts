// Auction maths (DESIGN §7), pure and exact: eCPM is a rational (a CPC bid's eCPM depends on
// its click-through estimate), money is BigInt, every division rounds up where the contract
// says ceil. The AdMarket DO feeds this module candidates in rank order and a reserve callback;
// everything that decides who wins and what is charged lives here.

/** A non-negative rational n/d with d > 0. */
export interface Rational {
  n: bigint;
  d: bigint;
}

export type BidModel = "cpm" | "cpc";

export interface Bid {
  model: BidModel;
  /** CPM: units per 1,000 impressions; CPC: units per click. */
  amount: bigint;
  clicks: number;
  impressions: number;
}

export interface Candidate extends Bid {
  id: string;
  /** Global sequence of the campaign.create event: earlier creation wins ties. */
  createdSeq: number;
}

export const rational = (n: bigint, d = 1n): Rational => ({ n, d });

export function compareRational(a: Rational, b: Rational): number {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
}

const ceilDiv = (n: bigint, d: bigint): bigint => (n + d - 1n) / d;

/** eCPM (value per 1,000 impressions): cpm → bid; cpc → bid × 1000 × (clicks+1)/(impressions+100). */
export function ecpm(b: Bid): Rational {
  if (b.model === "cpm") return rational(b.amount);
  return rational(b.amount * 1000n * BigInt(b.clicks + 1), BigInt(b.impressions + 100));
}

/** Rank order: higher eCPM first, then earlier creation, then lower id. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  const byEcpm = compareRational(ecpm(b), ecpm(a));
  if (byEcpm !== 0) return byEcpm;
  if (a.createdSeq !== b.createdSeq) return a.createdSeq - b.createdSeq;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Clearing eCPM = max(second eCPM, floor) + 1 unit, capped at the winner's eCPM. */
export function clearingEcpm(winner: Rational, second: Rational | null, floor: bigint): Rational {
  const f = rational(floor);
  const base = second && compareRational(second, f) > 0 ? second : f;
  const plusOne = rational(base.n + base.d, base.d);
  return compareRational(plusOne, winner) > 0 ? winner : plusOne;
}

/**
 * The charge per billable event at a clearing eCPM: per impression for CPM
 * max(1, ceil(clearing / 1000)); per click for CPC ceil(clearing / (1000 × ctr_est)) with
 * ctr_est = (clicks+1)/(impressions+100), capped at the bid (and never below 1 unit).
 */
export function priceFor(b: Bid, clearing: Rational): bigint {
  if (b.model === "cpm") {
    const p = ceilDiv(clearing.n, clearing.d * 1000n);
    return p < 1n ? 1n : p;
  }
  const p = ceilDiv(clearing.n * BigInt(b.impressions + 100), clearing.d * 1000n * BigInt(b.clicks + 1));
  const capped = p > b.amount ? b.amount : p;
  return capped < 1n ? 1n : capped;
}

export interface AuctionOutcome<C extends Candidate> {
  winner: C;
  clearing: Rational;
  price: bigint;
  /** Candidates skipped because they could not reserve their price (re-ranked without them). */
  skipped: C[];
}

/**
 * Second-price auction over `ranked` (eligible candidates, already in rank order, consumed
 * lazily). Candidates below the floor are not eligible. The winner must reserve its price
 * (`reserve` returns false when it cannot): then the auction re-ranks without it — the runner-up
 * becomes the winner and the next candidate sets its price.
 */
export function runAuction<C extends Candidate>(ranked: Iterable<C>, floor: bigint, reserve: (c: C, price: bigint) => boolean): AuctionOutcome<C> | null {
  const it = ranked[Symbol.iterator]();
  const f = rational(floor);
  const next = (): C | null => {
    const r = it.next();
    if (r.done) return null;
    return compareRational(ecpm(r.value), f) < 0 ? null : r.value; // ranked: the rest are lower still
  };
  const skipped: C[] = [];
  let winner = next();
  let second = winner ? next() : null;
  while (winner) {
    const clearing = clearingEcpm(ecpm(winner), second ? ecpm(second) : null, floor);
    const price = priceFor(winner, clearing);
    if (reserve(winner, price)) return { winner, clearing, price, skipped };
    skipped.push(winner);
    winner = second;
    second = winner ? next() : null;
  }
  return null;
}

/** The most a campaign can be charged per billable event (sizes budget slices). */
export function maxCharge(model: BidModel, amount: bigint): bigint {
  return model === "cpm" ? ceilDiv(amount, 1000n) : amount;
}

/** The share of a charge that goes to the publisher (floor), the rest to the reward pool. */
export function publisherShare(amount: bigint, bps: number): bigint {
  return (amount * BigInt(bps)) / 10_000n;
}
