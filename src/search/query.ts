// The search query language (DESIGN §9): words (all must match), "quoted phrases" and
// prefix*. User input is never passed raw to FTS5: every term is rebuilt from letters and
// digits only and quoted, so no FTS5 operator or syntax can come from the user.

export const MAX_QUERY_CHARS = 256;
export const MAX_QUERY_TERMS = 16;

/** `phrases` are the FTS5 phrases ANDed together in `match`, each already safely quoted. */
export type ParsedQuery = { ok: true; match: string; phrases: string[]; terms: string[] } | { ok: false; error: string };

const WORD = /[\p{L}\p{N}]+/gu;

export function parseQuery(q: string): ParsedQuery {
  const input = q.trim();
  if (input.length === 0) return { ok: false, error: "q is empty" };
  if (input.length > MAX_QUERY_CHARS) return { ok: false, error: `q is longer than ${MAX_QUERY_CHARS} characters` };
  const parts: string[] = [];
  const terms: string[] = [];
  for (const m of input.matchAll(/"([^"]*)"?|(\S+)/g)) {
    if (m[1] !== undefined) {
      const words = m[1].match(WORD) ?? [];
      if (words.length === 0) continue;
      parts.push(`"${words.join(" ")}"`);
      terms.push(...words);
    } else {
      const raw = m[2]!;
      const words = raw.match(WORD) ?? [];
      if (words.length === 0) continue;
      const prefix = raw.endsWith("*");
      // A token like "e-mail" becomes the phrase "e mail", as the tokenizer would see it.
      const phrase = `"${words.join(" ")}"`;
      parts.push(prefix ? `${phrase} *` : phrase);
      terms.push(...words);
    }
    if (parts.length > MAX_QUERY_TERMS) return { ok: false, error: `q has more than ${MAX_QUERY_TERMS} terms` };
  }
  if (parts.length === 0) return { ok: false, error: "q has no searchable words" };
  const phrases = [...new Set(parts)];
  return { ok: true, match: phrases.join(" AND "), phrases, terms };
}

/**
 * BM25 inverse document frequency exactly as SQLite FTS5 computes it (including its clamp
 * for terms in more than half the documents), so per-shard scores can be rescaled to global
 * statistics.
 */
export function fts5Idf(docs: number, hits: number): number {
  const idf = Math.log((docs - hits + 0.5) / (hits + 0.5));
  return idf <= 0 ? 1e-6 : idf;
}

export interface TermStats {
  docs: number;
  hits: number[];
}

/**
 * The factor that turns a shard's local BM25 into the merged score: Σ global IDF / Σ local IDF
 * over the query's phrases. For one phrase (FTS5's bm25 is IDF × a term-frequency part) this is
 * exactly the score a single index over all shards would give; for several it weights the
 * shard's sum by its IDF error as a whole. One factor per shard keeps each shard's order, so a
 * shard's local top k is its part of the merged top k and a cursor filters in the same terms.
 */
export function shardFactor(global: TermStats, local: TermStats): number {
  let g = 0;
  let l = 0;
  for (let i = 0; i < global.hits.length; i++) {
    g += fts5Idf(global.docs, global.hits[i]!);
    l += fts5Idf(local.docs, local.hits[i] ?? 0);
  }
  return l > 0 ? g / l : 1;
}
