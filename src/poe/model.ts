// Proof of Engagement: the pure rules (DESIGN §8). Epochs, engagement weights and the
// reputation formula — integers only, no clock but the block's createdAt.

/** Epoch n covers block times [n × EPOCH_MS, (n+1) × EPOCH_MS) in ms since the Unix epoch. */
export const epochOf = (createdAtMs: number, epochMs: number): number => Math.floor(createdAtMs / epochMs);
export const epochStart = (n: number, epochMs: number): number => n * epochMs;
export const epochEnd = (n: number, epochMs: number): number => (n + 1) * epochMs;

export type EngagementKind = "view" | "like" | "comment" | "share";
export const KIND_WEIGHT: Record<EngagementKind, number> = { view: 1, like: 5, comment: 10, share: 15 };

/** Engager weight in basis points: min(10000, reputation × 1000). Reputation 0 weighs nothing. */
export const engagerBps = (reputation: number): number => Math.min(10_000, Math.max(0, Math.floor(reputation)) * 1000);

/** Weight of one engagement (already deduplicated by (engager, target, kind)); self-engagement is zero. */
export function engagementWeight(kind: EngagementKind, engager: string, creator: string, reputation: number): number {
  if (engager === creator) return 0;
  return KIND_WEIGHT[kind] * engagerBps(reputation);
}

// ---- reputation (0–100) ----
// At each epoch's payout, every listed account goes from r to
//   min(100, floor(r × (10000 − REP_DECAY_BPS) / 10000) + gain),
//   gain = min(REP_MAX_GAIN, floor(received / REP_GAIN_UNIT)),
// where `received` is the weighted engagement its content received in the epoch (the same
// weights as rewards: fresh engagers add nothing). One like from a fully trusted engager
// (5 × 10000) is one point; at most 10 points per epoch; 10 % decay per epoch.
export const REP_DECAY_BPS = 1000;
export const REP_GAIN_UNIT = 50_000;
export const REP_MAX_GAIN = 10;
export const REP_MAX = 100;

export const reputationGain = (received: number): number => Math.min(REP_MAX_GAIN, Math.floor(received / REP_GAIN_UNIT));

export const nextReputation = (current: number, gain: number): number =>
  Math.min(REP_MAX, Math.floor((current * (10_000 - REP_DECAY_BPS)) / 10_000) + gain);

/** The ledger pseudo-account that escrows epoch n's claimed ad revenue until its payouts. */
export const epochPoolAccount = (epoch: number): string => `echonet:poe-epoch:${epoch}`;
