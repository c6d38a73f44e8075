// Per-phrase BM25 score lists, and how an AND query's ranking is computed from them.
//
// SQLite FTS5's bm25() is a plain sum over the query's phrases: for each phrase i,
// IDF_i × f_i(k1+1) / (f_i + k1(1 − b + b·D/avgdl)), where IDF_i depends only on how many rows
// match phrase i, f_i only on phrase i's (column-weighted) instances in the row, and D and avgdl
// only on the row and the table. So the score of "p0 AND p1 AND …" in a row is exactly
// ((0 + s0) + s1) + … where s_i is the row's score for the single-phrase query p_i — the same
// additions in the same order, hence the same double. A shard can keep each phrase's scores
// (one FTS5 pass per phrase, reused by every query that contains it until the index changes)
// and rank any AND of cached phrases by intersecting lists, without a bm25() pass per query.

/** A phrase's score (positive, higher is better) in every row it matches, rows ascending. */
export interface PhraseScores {
  rowids: Int32Array;
  scores: Float64Array;
}

export function phraseScores(rows: Iterable<[number, number]>): PhraseScores {
  // One pass straight from the cursor into growing typed arrays (no intermediate pairs).
  let rowids = new Int32Array(256);
  let scores = new Float64Array(256);
  let n = 0;
  let prev = -1;
  for (const row of rows) {
    const r = row[0];
    if (!(r >= 0 && r <= 0x7fffffff)) throw new RangeError("phraseScores: a rowid outside 0..2^31-1");
    if (r <= prev) throw new Error("phraseScores: rows must be ascending and distinct");
    if (n === rowids.length) {
      const grownRows = new Int32Array(n * 2);
      grownRows.set(rowids);
      rowids = grownRows;
      const grownScores = new Float64Array(n * 2);
      grownScores.set(scores);
      scores = grownScores;
    }
    rowids[n] = r;
    scores[n] = row[1];
    prev = r;
    n++;
  }
  return { rowids: rowids.slice(0, n), scores: scores.slice(0, n) };
}

/** Bytes a list holds (for the cache's memory bound). */
export const phraseBytes = (p: PhraseScores): number => 12 * p.rowids.length + 64;

/**
 * The rows matching every list, with the summed score: added in list order, starting from 0,
 * exactly as FTS5 adds its phrases (see above), so the result equals bm25() of the AND query.
 */
export function intersectScores(lists: PhraseScores[]): PhraseScores {
  if (lists.length === 0) return { rowids: new Int32Array(0), scores: new Float64Array(0) };
  if (lists.length === 1) return lists[0]!;
  // Walk the shortest list; find each row in the others by galloping forward (all ascending).
  let shortest = 0;
  for (let i = 1; i < lists.length; i++) if (lists[i]!.rowids.length < lists[shortest]!.rowids.length) shortest = i;
  const base = lists[shortest]!;
  const others = lists.length;
  const pos = new Int32Array(others);
  const outRows = new Int32Array(base.rowids.length);
  const outScores = new Float64Array(base.rowids.length);
  let n = 0;
  outer: for (let k = 0; k < base.rowids.length; k++) {
    const row = base.rowids[k]!;
    for (let i = 0; i < others; i++) {
      if (i === shortest) continue;
      const rows = lists[i]!.rowids;
      const at = seek(rows, pos[i]!, row);
      pos[i] = at;
      if (at >= rows.length) break outer;
      if (rows[at] !== row) continue outer;
    }
    let s = 0;
    for (let i = 0; i < others; i++) s += i === shortest ? base.scores[k]! : lists[i]!.scores[pos[i]!]!;
    outRows[n] = row;
    outScores[n] = s;
    n++;
  }
  return { rowids: outRows.subarray(0, n), scores: outScores.subarray(0, n) };
}

/** The first index ≥ from whose row is ≥ row (exponential then binary search). */
function seek(rows: Int32Array, from: number, row: number): number {
  if (from >= rows.length || rows[from]! >= row) return from;
  let step = 1;
  let lo = from;
  let hi = from + 1;
  while (hi < rows.length && rows[hi]! < row) {
    lo = hi;
    step *= 2;
    hi = from + step;
  }
  if (hi > rows.length) hi = rows.length;
  // rows[lo] < row; answer in (lo, hi]
  while (lo + 1 < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid]! < row) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * Indexes of the `k` best scores, plus every row tied with the k-th (ids break ties and are
 * not known here, so the caller sorts these by (score desc, id asc) and keeps k). Unordered.
 */
export function topWithTies(scores: Float64Array, k: number): number[] {
  const n = scores.length;
  if (k <= 0 || n === 0) return [];
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  // A sorted buffer of the k best scores seen (descending); most rows fail the first test.
  const best: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    if (best.length === k && s < best[k - 1]!) continue;
    let j = best.length;
    while (j > 0 && best[j - 1]! < s) j--;
    best.splice(j, 0, s);
    if (best.length > k) best.pop();
  }
  const threshold = best[k - 1]!;
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (scores[i]! >= threshold) out.push(i);
  return out;
}
