// ContentShard: posts whose content id hashes here, with their tombstones, comments, exact
// stats counters and engagement sets. Operations arrive from the block executor in block
// order and are recorded by event id, so a redelivered block changes nothing.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { ContentOp, IndexUpdate } from "../content/ops";
import { migrate, one } from "./sqlite";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE posts (
     id TEXT PRIMARY KEY,
     author TEXT NOT NULL,
     created_at TEXT NOT NULL,
     seq INTEGER NOT NULL,
     block INTEGER NOT NULL,
     title TEXT,
     text TEXT NOT NULL,
     tags TEXT NOT NULL,
     lang TEXT,
     chunks TEXT NOT NULL,
     status TEXT NOT NULL,
     views INTEGER NOT NULL DEFAULT 0,
     likes INTEGER NOT NULL DEFAULT 0,
     comments INTEGER NOT NULL DEFAULT 0,
     shares INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX posts_author ON posts (author, seq DESC) WHERE status = 'live';
   CREATE TABLE engagements (target TEXT NOT NULL, engager TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (target, engager, kind)) WITHOUT ROWID;
   CREATE TABLE comments (id TEXT PRIMARY KEY, target TEXT NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL, seq INTEGER NOT NULL, block INTEGER NOT NULL);
   CREATE INDEX comments_target ON comments (target, seq DESC);
   CREATE TABLE applied (event_id TEXT PRIMARY KEY) WITHOUT ROWID;`,
];

export interface PostView {
  id: string;
  author: string;
  createdAt: string;
  title: string | null;
  text: string;
  tags: string[];
  lang: string | null;
  chunks: string[];
  status: "live" | "deleted";
  stats: { views: number; likes: number; comments: number; shares: number };
  block: number;
  sequence: number;
}

type PostRow = {
  id: string;
  author: string;
  created_at: string;
  seq: number;
  block: number;
  title: string | null;
  text: string;
  tags: string;
  lang: string | null;
  chunks: string;
  status: "live" | "deleted";
  views: number;
  likes: number;
  comments: number;
  shares: number;
};

const COUNTER = { like: "likes", share: "shares", view: "views" } as const;

export class ContentShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(this.sql, MIGRATIONS));
  }

  /**
   * Applies operations in the order given (block order), each once. Returns what the search
   * index must reflect for every post or delete in `ops` — derived from current state, so a
   * retried delivery yields the same updates even when the ops were already applied.
   */
  async applyOps(ops: ContentOp[]): Promise<IndexUpdate[]> {
    for (const op of ops) {
      if (this.sql.exec("INSERT OR IGNORE INTO applied (event_id) VALUES (?)", op.eventId).rowsWritten === 0) continue;
      switch (op.type) {
        case "post":
          this.sql.exec(
            `INSERT OR IGNORE INTO posts (id, author, created_at, seq, block, title, text, tags, lang, chunks, status)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'live')`,
            op.eventId, op.author, op.createdAt, op.seq, op.block, op.title, op.text, JSON.stringify(op.tags), op.lang, JSON.stringify(op.chunks),
          );
          break;
        case "delete":
          // Tombstone: the record stays (id, author, times, stats), its content goes.
          this.sql.exec("UPDATE posts SET status = 'deleted', title = NULL, text = '', tags = '[]', chunks = '[]' WHERE id = ? AND author = ? AND status = 'live'", op.target, op.author);
          break;
        case "like":
        case "share":
          if (this.sql.exec("INSERT OR IGNORE INTO engagements (target, engager, kind) VALUES (?, ?, ?)", op.target, op.engager, op.type).rowsWritten > 0) {
            this.sql.exec(`UPDATE posts SET ${COUNTER[op.type]} = ${COUNTER[op.type]} + 1 WHERE id = ?`, op.target);
          }
          break;
        case "view":
          this.sql.exec("UPDATE posts SET views = views + 1 WHERE id = ?", op.target);
          break;
        case "comment":
          this.sql.exec(
            "INSERT OR IGNORE INTO comments (id, target, author, text, created_at, seq, block) VALUES (?, ?, ?, ?, ?, ?, ?)",
            op.eventId, op.target, op.author, op.text, op.createdAt, op.seq, op.block,
          );
          this.sql.exec("UPDATE posts SET comments = comments + 1 WHERE id = ?", op.target);
          break;
      }
    }
    const updates: IndexUpdate[] = [];
    for (const op of ops) {
      if (op.type !== "post" && op.type !== "delete") continue;
      const id = op.type === "post" ? op.eventId : op.target;
      const row = this.row(id);
      if (!row) continue;
      if (row.status === "deleted") updates.push({ op: "delete", id });
      else if (op.type === "post") {
        updates.push({ op: "upsert", id, author: row.author, title: row.title ?? "", text: row.text, tags: JSON.parse(row.tags), lang: row.lang, createdAt: row.created_at, seq: row.seq });
      }
    }
    return updates;
  }

  async get(id: string): Promise<PostView | null> {
    const row = this.row(id);
    return row ? view(row) : null;
  }

  /** Existence, author and liveness of targets: what witnesses check. */
  async lookup(ids: string[]): Promise<Record<string, { author: string; status: "live" | "deleted" }>> {
    const out: Record<string, { author: string; status: "live" | "deleted" }> = {};
    for (const id of ids) {
      const r = one(this.sql.exec<{ author: string; status: "live" | "deleted" }>("SELECT author, status FROM posts WHERE id = ?", id));
      if (r) out[id] = { author: r.author, status: r.status };
    }
    return out;
  }

  /** Newest first; `before` is an exclusive sequence bound (cursor). */
  async comments(target: string, limit: number, before?: number): Promise<{ id: string; author: string; text: string; createdAt: string; block: number; sequence: number }[]> {
    return this.sql
      .exec<{ id: string; author: string; text: string; created_at: string; block: number; seq: number }>(
        "SELECT * FROM comments WHERE target = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
        target,
        before ?? Number.MAX_SAFE_INTEGER,
        limit,
      )
      .toArray()
      .map((r) => ({ id: r.id, author: r.author, text: r.text, createdAt: r.created_at, block: r.block, sequence: r.seq }));
  }

  /** An author's live posts in this shard, newest first, before the `before` sequence. */
  async byAuthor(author: string, limit: number, before?: number): Promise<PostView[]> {
    return this.sql
      .exec<PostRow>("SELECT * FROM posts WHERE author = ? AND status = 'live' AND seq < ? ORDER BY seq DESC LIMIT ?", author, before ?? Number.MAX_SAFE_INTEGER, limit)
      .toArray()
      .map(view);
  }

  private row(id: string): PostRow | undefined {
    return one(this.sql.exec<PostRow>("SELECT * FROM posts WHERE id = ?", id));
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}

function view(r: PostRow): PostView {
  return {
    id: r.id,
    author: r.author,
    createdAt: r.created_at,
    title: r.title,
    text: r.text,
    tags: JSON.parse(r.tags),
    lang: r.lang,
    chunks: JSON.parse(r.chunks),
    status: r.status,
    stats: { views: r.views, likes: r.likes, comments: r.comments, shares: r.shares },
    block: r.block,
    sequence: r.seq,
  };
}
