// IndexShard: one document partition of the full-text index (by content id), SQLite FTS5 with
// BM25 and snippets. Updates arrive in batches from the index-updates queue and are
// idempotent: posts are immutable (an upsert of a known id is a no-op) and a delete leaves a
// tombstone, so a late or redelivered upsert can never resurrect deleted content.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { IndexUpdate } from "../content/ops";
import { migrate, one } from "./sqlite";
import { fts5Idf } from "../search/query";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE VIRTUAL TABLE fts USING fts5(title, text, tags, tokenize = 'porter unicode61 remove_diacritics 2');
   CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, author TEXT NOT NULL, title TEXT NOT NULL, created_at TEXT NOT NULL, tags TEXT NOT NULL, seq INTEGER NOT NULL);
   CREATE INDEX docs_author ON docs (author);
   CREATE TABLE doc_tags (tag TEXT NOT NULL, rowid INTEGER NOT NULL, PRIMARY KEY (tag, rowid)) WITHOUT ROWID;
   CREATE TABLE tombstones (id TEXT PRIMARY KEY) WITHOUT ROWID;`,
];

// BM25 column weights: title, text, tags.
const BM25 = "bm25(fts, 4.0, 1.0, 2.0)";

export interface SearchHit {
  id: string;
  author: string;
  title: string;
  snippet: string;
  score: number;
  createdAt: string;
  tags: string[];
}

export interface ShardQuery {
  /** FTS5 phrases, ANDed (from parseQuery: already safely quoted). */
  phrases: string[];
  /** Global document count and per-phrase document frequencies across all shards. */
  global?: { docs: number; hits: number[] };
  /** This shard's own statistics for the same phrases, when the caller already has them. */
  local?: { docs: number; hits: number[] };
  limit: number;
  author?: string;
  tag?: string;
  after?: { s: number; i: string };
}

export class IndexShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(this.sql, MIGRATIONS));
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
      this.sql.exec("INSERT INTO fts (rowid, title, text, tags) VALUES (?, ?, ?, ?)", rowid, u.title, u.text, u.tags.join(" "));
      for (const tag of new Set(u.tags)) this.sql.exec("INSERT OR IGNORE INTO doc_tags (tag, rowid) VALUES (?, ?)", tag, rowid);
      indexed++;
    }
    return { indexed, deleted };
  }

  /** Local statistics for global BM25: document count and, per phrase, matching documents. */
  async termStats(phrases: string[]): Promise<{ docs: number; hits: number[] }> {
    const docs = one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM docs"))!.n;
    const hits = phrases.map((p) => one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM fts WHERE fts MATCH ?", p))!.n);
    return { docs, hits };
  }

  /**
   * Top `limit` hits after an optional cursor. With `global` statistics, each phrase's BM25
   * contribution is rescaled from this shard's IDF to the global IDF — FTS5's bm25() of a
   * single phrase is exactly IDF_local × (its term-frequency part) — so scores from every
   * shard are comparable and the merged top k matches a single index (DESIGN §9 ranking).
   */
  async search(q: ShardQuery): Promise<SearchHit[]> {
    const phrases = q.phrases;
    let weights = phrases.map(() => 1);
    if (q.global) {
      const local = q.local ?? (await this.termStats(phrases));
      weights = phrases.map((_, i) => fts5Idf(q.global!.docs, q.global!.hits[i]!) / fts5Idf(local.docs, local.hits[i]!));
    }
    const args: SqlStorageValue[] = [...phrases];
    // Materialized, FTS-first: each phrase is matched once; docs are looked up by rowid.
    const ctes = phrases.map((_, i) => `p${i} AS MATERIALIZED (SELECT rowid, ${BM25} AS b FROM fts WHERE fts MATCH ?)`);
    const joins = phrases.slice(1).map((_, i) => `JOIN p${i + 1} ON p${i + 1}.rowid = p0.rowid`).join(" ");
    const score = phrases.map((_, i) => `p${i}.b * ${weights[i]!.toPrecision(17)}`).join(" + ");
    const filters: string[] = [];
    if (q.author) {
      filters.push("d.author = ?");
      args.push(q.author);
    }
    if (q.tag) {
      filters.push("d.rowid IN (SELECT rowid FROM doc_tags WHERE tag = ?)");
      args.push(q.tag);
    }
    let after = "";
    if (q.after) {
      after = "WHERE score < ? OR (score = ? AND id > ?)";
      args.push(q.after.s, q.after.s, q.after.i);
    }
    args.push(q.limit);
    const rows = this.sql
      .exec<{ rowid: number; id: string; author: string; title: string; created_at: string; tags: string; score: number }>(
        `WITH ${ctes.join(", ")},
         hits AS (
           SELECT d.rowid AS rowid, d.id AS id, d.author AS author, d.title AS title, d.created_at AS created_at, d.tags AS tags, -(${score}) AS score
           FROM p0 ${joins} JOIN docs d ON d.rowid = p0.rowid ${filters.length ? `WHERE ${filters.join(" AND ")}` : ""}
         )
         SELECT * FROM hits ${after} ORDER BY score DESC, id ASC LIMIT ?`,
        ...args,
      )
      .toArray();
    const snippets = new Map<number, string>();
    if (rows.length > 0) {
      for (const r of this.sql.exec<{ rowid: number; s: string }>(
        `SELECT rowid, snippet(fts, 1, '[', ']', '…', 16) AS s FROM fts WHERE fts MATCH ? AND rowid IN (${rows.map(() => "?").join(",")})`,
        phrases.join(" AND "),
        ...rows.map((r) => r.rowid),
      )) {
        snippets.set(r.rowid, r.s);
      }
    }
    return rows.map((r) => ({ id: r.id, author: r.author, title: r.title, snippet: snippets.get(r.rowid) ?? "", score: r.score, createdAt: r.created_at, tags: JSON.parse(r.tags) }));
  }

  async stats(): Promise<{ docs: number; tombstones: number }> {
    return {
      docs: one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM docs"))!.n,
      tombstones: one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tombstones"))!.n,
    };
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
