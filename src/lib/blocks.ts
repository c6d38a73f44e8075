// Blocks (DESIGN §4): hash = hex sha256 of JCS of exactly {height, prevHash, createdAt, events};
// genesis is height 0 with prevHash = 64 zeros; createdAt never decreases.
import { canonicalize } from "./jcs";
import { sha256HexSync } from "./hash";

export const GENESIS_PREV_HASH = "0".repeat(64);

export interface Block {
  height: number;
  hash: string;
  prevHash: string;
  createdAt: string;
  events: string[];
}

export function blockHash(b: Omit<Block, "hash">): string {
  return sha256HexSync(canonicalize({ height: b.height, prevHash: b.prevHash, createdAt: b.createdAt, events: b.events }));
}

export function makeBlock(height: number, prevHash: string, createdAt: string, events: string[]): Block {
  return { height, hash: blockHash({ height, prevHash, createdAt, events }), prevHash, createdAt, events };
}

/** Checks a chain segment: each hash recomputes and links to its predecessor. */
export function verifyChain(blocks: Block[]): string[] {
  const errors: string[] = [];
  blocks.forEach((b, i) => {
    if (blockHash(b) !== b.hash) errors.push(`block ${b.height}: hash does not recompute`);
    const prev = blocks[i - 1];
    if (prev && (b.prevHash !== prev.hash || b.height !== prev.height + 1)) errors.push(`block ${b.height}: does not link to ${prev.height}`);
    if (prev && b.createdAt < prev.createdAt) errors.push(`block ${b.height}: createdAt decreases`);
    if (b.height === 0 && b.prevHash !== GENESIS_PREV_HASH) errors.push("genesis prevHash is not 64 zeros");
  });
  return errors;
}
