// IndexShard: one document partition of the full-text index (by content id), SQLite FTS5 with
// BM25 and snippets. Updates arrive in batches from the index-updates queue and are
// idempotent: posts are immutable (an upsert of a known id is a no-op) and a delete leaves a
// tombstone, so a late or redelivered upsert can never resurrect deleted content.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { IndexUpdate } from "../content/ops";
import type { IndexShardStats } from "../schemas/api";
import { migrate, one, type Migration } from "./sqlite";
import { getConfig } from "../lib/config";
import { shardFactor } from "../search/query";
import { abortSelf } from "./fault-reset";
import { FifoCache, Lru } from "../lib/lru";
import { intersectScores, phraseBytes, phraseScores, topWithTies, type PhraseScores } from "../search/phrase-scores";

/** Cached shard answers (≤ 11 rows each, a few KB): one entry a query, whatever the shard count. */
const ANSWER_CACHE_MAX = 2_000;
/**
 * Snippets (≤ ~300 bytes each) and documents' result fields by rowid (≈ 300 bytes each; written
 * through at insert: the newest of the shard, plus older ones a ranking picked since). Both hold
 * rows, so a shard keeps its share of a deployment-wide budget, as it holds its share of the
 * corpus: 10,000 each at the default INDEX_SHARDS of 8.
 */
const SNIPPET_CACHE_TOTAL = 80_000;
const DOC_CACHE_TOTAL = 80_000;
const shareOf = (total: number, shards: number) => Math.max(1_000, Math.ceil(total / shards));

// Segment merging. FTS5 writes each insert batch as a new segment and merges them only a few at
// a time (automerge), so a shard fed in small batches holds many; every term lookup opens an
// iterator in each one. Once the index has been quiet for MERGE_QUIET_MS, the shard's alarm
// merges them all, MERGE_STEP_PAGES pages per step and MERGE_STEPS_PER_ALARM steps per alarm
// (a few ms each), re-arming in between so that reads interleave. Merging changes no result:
// BM25 reads per-row sizes and table totals, which the segment layout does not affect.
const MERGE_QUIET_MS = 1_000;
const MERGE_STEP_PAGES = 100;
const MERGE_STEPS_PER_ALARM = 4;
/** FTS5 keeps its segment structure in this row of its %_data table (FTS5_STRUCTURE_ROWID). */
const FTS5_STRUCTURE_ROWID = 10;

// The post text is indexed as two columns, `head` (its first HEAD_CHARS, cut at whitespace) and
// `tail` (the rest), with equal BM25 weights. FTS5's bm25() sums weighted phrase frequencies
// over columns and normalises by the row's total token count, so the split ranks exactly as
// one column would; it exists so that snippets, which re-tokenise the column they are taken
// from, read ≤ HEAD_CHARS instead of the whole (up to ~60 KB) text whenever the head matches.
export const HEAD_CHARS = 2000;

export function splitHead(text: string): [string, string] {
  if (text.length <= HEAD_CHARS) return [text, ""];
  const cut = text.lastIndexOf(" ", HEAD_CHARS);
  const at = cut > HEAD_CHARS / 2 ? cut : HEAD_CHARS;
  return [text.slice(0, at), text.slice(at)];
}

const MIGRATIONS: Migration[] = [
  `CREATE VIRTUAL TABLE fts USING fts5(title, text, tags, tokenize = 'porter unicode61 remove_diacritics 2');
   CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, author TEXT NOT NULL, title TEXT NOT NULL, created_at TEXT NOT NULL, tags TEXT NOT NULL, seq INTEGER NOT NULL);
   CREATE INDEX docs_author ON docs (author);
   CREATE TABLE doc_tags (tag TEXT NOT NULL, rowid INTEGER NOT NULL, PRIMARY KEY (tag, rowid)) WITHOUT ROWID;
   CREATE TABLE tombstones (id TEXT PRIMARY KEY) WITHOUT ROWID;`,
  // v2: text → head + tail (see splitHead), rows carried over.
  (sql) => {
    sql.exec("CREATE VIRTUAL TABLE fts2 USING fts5(title, head, tail, tags, tokenize = 'porter unicode61 remove_diacritics 2')");
    for (const r of sql.exec<{ rowid: number; title: string; text: string; tags: string }>("SELECT rowid, title, text, tags FROM fts")) {
      const [head, tail] = splitHead(r.text);
      sql.exec("INSERT INTO fts2 (rowid, title, head, tail, tags) VALUES (?, ?, ?, ?, ?)", r.rowid, r.title, head, tail, r.tags);
    }
    sql.exec("DROP TABLE fts");
    sql.exec("ALTER TABLE fts2 RENAME TO fts");
  },
];

// BM25 column weights: title, head, tail, tags (head and tail are one text column, split).
const BM25 = "bm25(fts, 4.0, 1.0, 1.0, 2.0)";
const HEAD_COL = 1;
const TAIL_COL = 2;
// Snippet markers: control characters no text carries, turned into [ ] afterwards, so a
// snippet that marked nothing (no match in that column) is recognisable.
const OPEN = "\u0001";
const CLOSE = "\u0002";

export interface Stats {
  docs: number;
  hits: number[];
}

/** One query for one shard. */
export interface ShardQuery {
  /** FTS5 phrases, ANDed (from parseQuery: already safely quoted). */
  phrases: string[];
  limit: number;
  author?: string;
  tag?: string;
  /** Later pages: rows strictly after (score s, id i) as scored with the first page's global statistics g. */
  after?: { s: number; i: string; g: Stats };
}

/** A matching document: its rowid, content id and shard-local BM25 (positive, higher is better). */
export interface Candidate {
  rowid: number;
  id: string;
  b: number;
}

/** What a result shows besides its id and score; read for the rows that made the page only. */
export interface ResultFields {
  author: string;
  title: string;
  createdAt: string;
  tags: string[];
  snippet: string;
}

/** The rows of one page held by one shard (rowid and content id, from the ranking round). */
export interface PageRequest {
  /** The query's FTS5 expression, and its phrases (parseQuery). */
  match: string;
  phrases: string[];
  rows: { rowid: number; id: string }[];
}

/** A document's result fields, as cached by rowid. */
interface Doc {
  id: string;
  author: string;
  title: string;
  createdAt: string;
  tags: string[];
}

type DocRow = {
  rowid: number;
  id: string;
  author: string;
  title: string;
  created_at: string;
  tags: string;
};
const docOf = (r: DocRow): Doc => ({ id: r.id, author: r.author, title: r.title, createdAt: r.created_at, tags: JSON.parse(r.tags) as string[] });
const DOC_COLUMNS = "d.rowid AS rowid, d.id AS id, d.author AS author, d.title AS title, d.created_at AS created_at, d.tags AS tags";

/** A shard's answer: its top rows by local BM25, and its statistics for the query's phrases. */
export interface ShardAnswer extends Stats {
  rows: Candidate[];
}

export class IndexShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private docCount = 0;
  /** Segment-merge steps run by this instance (stats). */
  private mergeSteps = 0;
  /**
   * Each phrase's BM25 score in every row it matches (src/search/phrase-scores.ts), as of the
   * last change: an AND query is ranked by intersecting its phrases' lists, and the list
   * lengths are the phrase statistics. Cleared with the other caches by every changing apply.
   */
  private readonly phrases: Lru<string, PhraseScores>;
  /**
   * Read caches, valid until the next apply that changes something (which clears them in the
   * same synchronous step, so a read never sees an answer older than the index): whole answers
   * by query, and snippets by (match, row). Repeated searches then cost no FTS5 work.
   */
  private readonly answers = new Lru<string, ShardAnswer>(ANSWER_CACHE_MAX);
  private readonly snippetCache: FifoCache<string, string>;
  /**
   * Result fields by rowid, set at insert, on a read miss and (the newest) when an instance
   * starts. A post never changes; its delete drops the entry (SQLite may give a deleted last
   * rowid to the next insert).
   */
  private readonly docCache: FifoCache<number, Doc>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    const config = getConfig(env);
    this.snippetCache = new FifoCache<string, string>(shareOf(SNIPPET_CACHE_TOTAL, config.INDEX_SHARDS));
    const docCacheMax = shareOf(DOC_CACHE_TOTAL, config.INDEX_SHARDS);
    this.docCache = new FifoCache<number, Doc>(docCacheMax);
    // INDEX_PHRASE_CACHE_MB (16): at 12 bytes a (phrase, row) pair, 16 MB holds ~1.4 million —
    // at 6,000 documents a shard, several thousand distinct words' lists.
    this.phrases = new Lru<string, PhraseScores>(config.INDEX_PHRASE_CACHE_MB << 20, phraseBytes);
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql, MIGRATIONS);
      this.docCount = one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM docs"))!.n;
      // The document cache holds the shard's newest documents, as the write-through at
      // insert leaves it: a new instance (after a restart or an eviction) loads them in one
      // scan of the primary key, oldest first so that the FIFO forgets the oldest first.
      const newest = this.sql.exec<DocRow>(`SELECT ${DOC_COLUMNS} FROM docs d ORDER BY d.rowid DESC LIMIT ?`, docCacheMax).toArray();
      for (let i = newest.length - 1; i >= 0; i--) this.docCache.set(newest[i]!.rowid, docOf(newest[i]!));
    });
  }

  async apply(updates: IndexUpdate[]): Promise<{ indexed: number; deleted: number }> {
    let indexed = 0;
    let deleted = 0;
    for (const u of updates) {
      if (u.op === "delete") {
        this.sql.exec("INSERT OR IGNORE INTO tombstones (id) VALUES (?)", u.id);
        const row = one(this.sql.exec<{ rowid: number }>("SELECT rowid FROM docs WHERE id = ?", u.id));
        if (row) {
          this.sql.exec("DELETE FROM fts WHERE rowid = ?", row.rowid);
          this.sql.exec("DELETE FROM doc_tags WHERE rowid = ?", row.rowid);
          this.sql.exec("DELETE FROM docs WHERE rowid = ?", row.rowid);
          this.docCache.delete(row.rowid);
          deleted++;
        }
        continue;
      }
      if (one(this.sql.exec("SELECT 1 AS x FROM tombstones WHERE id = ?", u.id))) continue;
      if (one(this.sql.exec("SELECT 1 AS x FROM docs WHERE id = ?", u.id))) continue;
      const rowid = one(
        this.sql.exec<{ rowid: number }>(
          "INSERT INTO docs (id, author, title, created_at, tags, seq) VALUES (?, ?, ?, ?, ?, ?) RETURNING rowid",
          u.id, u.author, u.title, u.createdAt, JSON.stringify(u.tags), u.seq,
        ),
      )!.rowid;
      this.docCache.set(rowid, { id: u.id, author: u.author, title: u.title, createdAt: u.createdAt, tags: u.tags });
      const [head, tail] = splitHead(u.text);
      this.sql.exec("INSERT INTO fts (rowid, title, head, tail, tags) VALUES (?, ?, ?, ?, ?)", rowid, u.title, head, tail, u.tags.join(" "));
      for (const tag of new Set(u.tags)) this.sql.exec("INSERT OR IGNORE INTO doc_tags (tag, rowid) VALUES (?, ?)", tag, rowid);
      indexed++;
    }
    if (indexed + deleted > 0) {
      this.docCount += indexed - deleted;
      this.phrases.clear();
      this.answers.clear();
      this.snippetCache.clear();
      await this.ctx.storage.setAlarm(Date.now() + MERGE_QUIET_MS); // (re)starts the quiet period
    }
    return { indexed, deleted };
  }

  /** Merges the index's segments, a few bounded steps at a time, until none is left to merge. */
  override async alarm(): Promise<void> {
    for (let i = 0; i < MERGE_STEPS_PER_ALARM; i++) {
      const before = this.structure();
      this.sql.exec("INSERT INTO fts (fts, rank) VALUES ('merge', ?)", -MERGE_STEP_PAGES);
      this.mergeSteps++;
      if (sameBytes(before, this.structure())) return; // nothing was left to merge
    }
    await this.ctx.storage.setAlarm(Date.now()); // more to merge: queued reads go first
  }

  /** FTS5's segment structure record (changes whenever a merge step does work). */
  private structure(): Uint8Array {
    const row = one(this.sql.exec<{ b: ArrayBuffer }>("SELECT block AS b FROM fts_data WHERE id = ?", FTS5_STRUCTURE_ROWID));
    return row ? new Uint8Array(row.b) : new Uint8Array(0);
  }

  /** Many queries in one call (the search route coalesces concurrent searches per shard). */
  async queryMany(queries: ShardQuery[]): Promise<(ShardAnswer | { error: string })[]> {
    return queries.map((q) => {
      try {
        const key = JSON.stringify(q);
        let a = this.answers.get(key);
        if (!a) {
          a = this.query(q);
          this.answers.set(key, a);
        }
        return a;
      } catch (err) {
        return { error: String(err) };
      }
    });
  }

  /**
   * The result fields of the given rows (the ones that made a page), with their snippets, for
   * each request; `match` is the query's FTS5 expression. A row whose document is gone since
   * the ranking is absent from the answer — also when SQLite has given its rowid to a newer
   * document, which the content id tells apart.
   */
  async pageMany(requests: PageRequest[]): Promise<Record<number, ResultFields>[]> {
    return requests.map(({ match, phrases, rows }) => {
      const docs = this.docs(rows.map((r) => r.rowid));
      for (const r of rows) if (docs.get(r.rowid)?.id !== r.id) docs.delete(r.rowid);
      let snippets: Record<number, string> = {};
      try {
        snippets = this.snippets(match, phrases, [...docs.keys()]);
      } catch {
        // a snippet is best effort: the fields still answer
      }
      const out: Record<number, ResultFields> = {};
      for (const [rowid, d] of docs) out[rowid] = { author: d.author, title: d.title, createdAt: d.createdAt, tags: d.tags, snippet: snippets[rowid] ?? "" };
      return out;
    });
  }

  /** Documents by rowid, from the cache or the docs table (rows that no longer exist are absent). */
  private docs(rowids: number[]): Map<number, Doc> {
    const out = new Map<number, Doc>();
    const missing: number[] = [];
    for (const rowid of rowids) {
      const d = this.docCache.get(rowid);
      if (d) out.set(rowid, d);
      else missing.push(rowid);
    }
    if (missing.length > 0) for (const [rowid, d] of this.readDocs(missing)) out.set(rowid, d);
    return out;
  }

  /** Documents by rowid from the docs table, into the cache (rows that no longer exist are absent). */
  private readDocs(rowids: number[]): Map<number, Doc> {
    const out = new Map<number, Doc>();
    for (const r of this.sql.exec<DocRow>(`SELECT ${DOC_COLUMNS} FROM docs d WHERE d.rowid IN (SELECT value FROM json_each(?))`, JSON.stringify(rowids))) {
      const d = docOf(r);
      this.docCache.set(r.rowid, d);
      out.set(r.rowid, d);
    }
    return out;
  }

  async stats(): Promise<IndexShardStats> {
    return {
      merge: { steps: this.mergeSteps, pending: (await this.ctx.storage.getAlarm()) !== null },
      answerCache: { hits: this.answers.hits, misses: this.answers.misses },
      phraseCache: { hits: this.phrases.hits, misses: this.phrases.misses, bytes: this.phrases.weight },
      snippetCache: { hits: this.snippetCache.hits, misses: this.snippetCache.misses },
      docCache: { hits: this.docCache.hits, misses: this.docCache.misses, size: this.docCache.size },
      docs: this.docCount,
      tombstones: one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tombstones"))!.n,
    };
  }

  /** The phrase's score list, from the cache or one FTS5 pass (rows in rowid order). */
  private phraseList(phrase: string): PhraseScores {
    let list = this.phrases.get(phrase);
    if (!list) {
      list = phraseScores(this.sql.exec(`SELECT rowid, -${BM25} FROM fts WHERE fts MATCH ? ORDER BY rowid`, phrase).raw<[number, number]>());
      this.phrases.set(phrase, list);
    }
    return list;
  }

  /**
   * The top `limit` rows by this shard's BM25 (ties by id). The route rescales each shard's
   * scores by one factor per shard (src/search/query.ts shardFactor), so this order is the
   * merged order restricted to this shard, and a page cursor filters in the same terms.
   *
   * Plain queries (no author, tag or cursor) rank from the phrases' cached score lists;
   * filtered ones ask FTS5, whose bm25() gives the same doubles (see phrase-scores.ts).
   */
  private query(q: ShardQuery): ShardAnswer {
    if (q.author === undefined && q.tag === undefined && !q.after) {
      const lists = q.phrases.map((p) => this.phraseList(p));
      return { docs: this.docCount, hits: lists.map((l) => l.rowids.length), rows: this.topFromLists(lists, q.limit) };
    }
    // A filtered query needs only each phrase's hit count: a list's length when one is cached,
    // else a COUNT (matching only — building a list would score every row it matches).
    const hits = q.phrases.map(
      (p) => this.phrases.get(p)?.rowids.length ?? one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM fts WHERE fts MATCH ?", p))!.n,
    );
    const stats: Stats = { docs: this.docCount, hits };
    const args: SqlStorageValue[] = [q.phrases.join(" AND ")];
    const where = ["fts MATCH ?"];
    if (q.author !== undefined) {
      where.push("d.author = ?");
      args.push(q.author);
    }
    if (q.tag !== undefined) {
      where.push("d.rowid IN (SELECT rowid FROM doc_tags WHERE tag = ?)");
      args.push(q.tag);
    }
    if (q.after) {
      const f = shardFactor(q.after.g, stats);
      where.push(`((-${BM25}) * ? < ? OR ((-${BM25}) * ? = ? AND d.id > ?))`);
      args.push(f, q.after.s, f, q.after.s, q.after.i);
    }
    args.push(q.limit);
    const rows = this.sql
      .exec<{ rowid: number; id: string; b: number }>(
        `SELECT d.rowid AS rowid, d.id AS id, -${BM25} AS b
         FROM fts JOIN docs d ON d.rowid = fts.rowid
         WHERE ${where.join(" AND ")}
         ORDER BY b DESC, d.id ASC LIMIT ?`,
        ...args,
      )
      .toArray();
    return { ...stats, rows };
  }

  /** The top `limit` rows of the AND of `lists`, ordered by (score desc, id asc). */
  private topFromLists(lists: PhraseScores[], limit: number): Candidate[] {
    const hits = intersectScores(lists);
    const picked = topWithTies(hits.scores, limit);
    if (picked.length === 0) return [];
    // Ids from the document cache (written at insert), the rest in one read.
    const rows: Candidate[] = [];
    let missing: number[] | undefined;
    for (const i of picked) {
      const rowid = hits.rowids[i]!;
      const d = this.docCache.get(rowid);
      if (d) rows.push({ rowid, id: d.id, b: hits.scores[i]! });
      else (missing ??= []).push(i);
    }
    if (missing) {
      const docs = this.readDocs(missing.map((i) => hits.rowids[i]!));
      for (const i of missing) {
        const d = docs.get(hits.rowids[i]!);
        if (d) rows.push({ rowid: hits.rowids[i]!, id: d.id, b: hits.scores[i]! });
      }
    }
    return rows.sort((a, b) => (a.b !== b.b ? b.b - a.b : a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, limit);
  }

  /**
   * From the head when the head matches (cheap), else from the tail when a phrase occurs in the
   * tail, else the head's opening words (the match is in the title or tags); cached per
   * (match, row). A tail snippet re-tokenises the whole tail (up to ~60 KB), so whether the tail
   * holds a phrase is asked first of the index alone (a column filter, no tokenising).
   */
  private snippets(match: string, phrases: string[], rowids: number[]): Record<number, string> {
    const out: Record<number, string> = {};
    const todo: number[] = [];
    for (const id of rowids) {
      const cached = this.snippetCache.get(`${id}\u0000${match}`);
      if (cached !== undefined) out[id] = cached;
      else todo.push(id);
    }
    if (todo.length === 0) return out;
    // The rows among `ids` that match `expr`, with the `extra` columns.
    const rowsMatching = <T extends Record<string, SqlStorageValue>>(extra: string, expr: string, ids: number[]) =>
      this.sql.exec<{ rowid: number } & T>(`SELECT rowid${extra} FROM fts WHERE fts MATCH ? AND rowid IN (${ids.map(() => "?").join(",")})`, expr, ...ids);
    const select = (col: number, ids: number[]) => rowsMatching<{ s: string }>(`, snippet(fts, ${col}, '${OPEN}', '${CLOSE}', '…', 16) AS s`, match, ids);
    const fresh: Record<number, string> = {};
    const plain = new Map<number, string>(); // head snippets that marked nothing
    for (const r of select(HEAD_COL, todo)) {
      if (r.s.includes(OPEN)) fresh[r.rowid] = r.s;
      else plain.set(r.rowid, r.s);
    }
    if (plain.size > 0) {
      const unmarked = [...plain.keys()];
      const inTail = rowsMatching("", `{tail} : (${phrases.join(" OR ")})`, unmarked)
        .toArray()
        .map((r) => r.rowid);
      for (const [id, s] of plain) fresh[id] = s;
      if (inTail.length > 0) {
        for (const r of select(TAIL_COL, inTail)) if (r.s.includes(OPEN)) fresh[r.rowid] = r.s;
      }
    }
    for (const [k, v] of Object.entries(fresh)) {
      const id = Number(k);
      out[id] = v.replaceAll(OPEN, "[").replaceAll(CLOSE, "]");
      this.snippetCache.set(`${id}\u0000${match}`, out[id]!);
    }
    return out;
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
