// Merging per-shard results and opaque cursors. Order: score descending, then id ascending,
// so the merged order is total and a cursor (last score, last id) resumes exactly.
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "../lib/encoding";

export interface Ranked {
  id: string;
  score: number;
}

export const byRank = (a: Ranked, b: Ranked): number => (a.score !== b.score ? b.score - a.score : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function mergeTop<T extends Ranked>(lists: T[][], limit: number): { items: T[]; more: boolean } {
  const all = lists.flat().sort(byRank);
  return { items: all.slice(0, limit), more: all.length > limit };
}

export function encodeCursor(value: unknown): string {
  return toBase64Url(utf8(JSON.stringify(value)));
}

/** Null for anything that is not a cursor this API issued in the expected shape. */
export function decodeCursor<T>(cursor: string, check: (v: unknown) => v is T): T | null {
  try {
    const v: unknown = JSON.parse(fromUtf8(fromBase64Url(cursor)));
    return check(v) ? v : null;
  } catch {
    return null;
  }
}

/** A search cursor: last score and id, and the global statistics page 1 was scored with. */
export interface RankCursor {
  s: number;
  i: string;
  g: { docs: number; hits: number[] };
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

export const isRankCursor = (v: unknown): v is RankCursor => {
  if (typeof v !== "object" || v === null) return false;
  const c = v as Record<string, any>;
  return (
    typeof c.s === "number" && Number.isFinite(c.s) &&
    typeof c.i === "string" && /^[0-9a-f]{64}$/.test(c.i) &&
    typeof c.g === "object" && c.g !== null && isCount(c.g.docs) &&
    Array.isArray(c.g.hits) && c.g.hits.length <= 16 && c.g.hits.every(isCount)
  );
};

export const isSeqCursor = (v: unknown): v is { q: number } =>
  typeof v === "object" && v !== null && Number.isSafeInteger((v as any).q) && (v as any).q > 0;
