// Reward allocation: integer weights, largest-remainder apportionment, ties by DID. The sum
// of the shares is exactly the amount apportioned, for any weights (property-tested).

export interface Share {
  did: string;
  amount: bigint;
}

/**
 * Splits `amount` among `weights` (DID → non-negative integer weight) in proportion:
 * everyone gets floor(amount × w / W); the units left over go one each to the largest
 * remainders, ties broken by DID (ascending). Zero weights get nothing. W = 0 → nothing.
 */
export function largestRemainder(amount: bigint, weights: ReadonlyMap<string, bigint>): Map<string, bigint> {
  const out = new Map<string, bigint>();
  let total = 0n;
  for (const w of weights.values()) {
    if (w < 0n) throw new Error("negative weight");
    total += w;
  }
  if (total === 0n || amount <= 0n) return out;
  const rows: { did: string; base: bigint; rem: bigint }[] = [];
  let given = 0n;
  for (const [did, w] of weights) {
    if (w === 0n) continue;
    const p = amount * w;
    const base = p / total;
    rows.push({ did, base, rem: p % total });
    given += base;
  }
  rows.sort((a, b) => (a.rem === b.rem ? (a.did < b.did ? -1 : a.did > b.did ? 1 : 0) : a.rem > b.rem ? -1 : 1));
  let left = amount - given; // < rows.length
  for (const r of rows) {
    const extra = left > 0n ? 1n : 0n;
    left -= extra;
    if (r.base + extra > 0n) out.set(r.did, r.base + extra);
  }
  return out;
}

export interface EpochAllocation {
  creatorPool: bigint;
  curatorPool: bigint;
  creator: Map<string, bigint>;
  curator: Map<string, bigint>;
}

/**
 * The pool splits into creators (creatorShareBps, by content score summed per creator) and
 * curators (the rest, by contributed weight). With no eligible engagement nothing is paid.
 */
export function allocateEpoch(
  pool: bigint,
  creatorShareBps: number,
  creatorScores: ReadonlyMap<string, bigint>,
  curatorWeights: ReadonlyMap<string, bigint>,
): EpochAllocation {
  let cs = 0n;
  for (const v of creatorScores.values()) cs += v;
  let cw = 0n;
  for (const v of curatorWeights.values()) cw += v;
  if (cs === 0n || cw === 0n || pool <= 0n) return { creatorPool: 0n, curatorPool: 0n, creator: new Map(), curator: new Map() };
  const creatorPool = (pool * BigInt(creatorShareBps)) / 10_000n;
  const curatorPool = pool - creatorPool;
  return {
    creatorPool,
    curatorPool,
    creator: largestRemainder(creatorPool, creatorScores),
    curator: largestRemainder(curatorPool, curatorWeights),
  };
}

export interface PayoutEntry {
  did: string;
  amount: bigint;
  gain: number;
}

export interface PayoutBatch {
  batch: number;
  mint: bigint;
  fromPool: bigint;
  entries: PayoutEntry[];
}

/**
 * Cuts entries (sorted by DID) into batches of `size`; each batch draws first from the
 * epoch's escrowed ad revenue, then mints the rest (emission is minted at payout). Always at
 * least one batch, so an empty epoch still has a batch that rolls its revenue over.
 */
export function payoutBatches(entries: PayoutEntry[], adRevenue: bigint, size: number): PayoutBatch[] {
  const sorted = [...entries].sort((a, b) => (a.did < b.did ? -1 : a.did > b.did ? 1 : 0));
  const out: PayoutBatch[] = [];
  let escrowLeft = adRevenue;
  for (let i = 0; i === 0 || i < sorted.length; i += size) {
    const chunk = sorted.slice(i, i + size);
    let sum = 0n;
    for (const e of chunk) sum += e.amount;
    const fromPool = sum < escrowLeft ? sum : escrowLeft;
    escrowLeft -= fromPool;
    out.push({ batch: out.length, mint: sum - fromPool, fromPool, entries: chunk });
  }
  return out;
}
