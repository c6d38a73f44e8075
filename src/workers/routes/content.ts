// Content, comments, author timelines and search (DESIGN §9). Cursors are opaque.
import { Hono } from "hono";
import type { Env } from "../../env";
import { getConfig } from "../../lib/config";
import { ApiError, validationError } from "../../lib/errors";
import type { PostView } from "../../durable-objects/ContentShard";
import type { PageRequest, ResultFields, ShardAnswer, ShardQuery } from "../../durable-objects/IndexShard";
import { Coalescer } from "../../search/coalesce";
import { parseQuery, shardFactor, type TermStats } from "../../search/query";
import { decodeCursor, encodeCursor, isRankCursor, mergeTop, type RankCursor } from "../../search/merge";
import { ContentIdParam, DidParam, PageQuery, SearchQuery } from "../../schemas/api";
import { allContentShards, allIndexShards, contentShardFor } from "../shards";
import { parseOr400, seqCursor, type AppContext } from "../http";

export const content = new Hono<{ Bindings: Env }>();

// Searches coalesced per shard (src/search/coalesce.ts): concurrent searches share one RPC
// per shard per round instead of paying INDEX_SHARDS round trips each. A batch waits up to
// SEARCH_LINGER_MS for more searches, but only while other searches are in flight in this
// isolate: a lone search goes at once. (A search whose request is cancelled may never count
// down; that only makes later lone searches linger.)
const SEARCH_LINGER_MS = 6;
let searchesInFlight = 0;
const COALESCE = { maxItems: 64, lingerMs: () => (searchesInFlight > 1 ? SEARCH_LINGER_MS : 0), fallbackMs: 5_000 };

function coalescersFor(env: Env) {
  let c = coalescers.get(env);
  if (!c) {
    c = {
      query: new Coalescer<ShardQuery, ShardAnswer | { error: string }>((shard, qs) => env.INDEX_SHARD.getByName(shard).queryMany(qs), COALESCE),
      page: new Coalescer<PageRequest, Record<number, ResultFields>>((shard, rs) => env.INDEX_SHARD.getByName(shard).pageMany(rs), COALESCE),
    };
    coalescers.set(env, c);
  }
  return c;
}
const coalescers = new WeakMap<Env, { query: Coalescer<ShardQuery, ShardAnswer | { error: string }>; page: Coalescer<PageRequest, Record<number, ResultFields>> }>();

const DEFAULT_LIMIT = 20;
const DEFAULT_SEARCH_LIMIT = 10;

const contentShard = (c: AppContext, id: string) => c.env.CONTENT_SHARD.getByName(contentShardFor(id, getConfig(c.env).CONTENT_SHARDS));

function publicView(p: PostView) {
  const { sequence: _s, ...rest } = p;
  return rest;
}

content.get("/content/:id", async (c) => {
  const { id } = parseOr400(ContentIdParam, c.req.param(), "path");
  const post = await contentShard(c, id).get(id);
  if (!post) throw new ApiError(404, "not_found", `no content ${id}`);
  return c.json(publicView(post));
});

content.get("/content/:id/comments", async (c) => {
  const { id } = parseOr400(ContentIdParam, c.req.param(), "path");
  const { limit = DEFAULT_LIMIT, cursor } = parseOr400(PageQuery, c.req.query(), "query");
  const shard = contentShard(c, id);
  const [post, page] = await Promise.all([shard.get(id), shard.comments(id, limit + 1, seqCursor(cursor))]);
  if (!post) throw new ApiError(404, "not_found", `no content ${id}`);
  const comments = page.slice(0, limit);
  const body: Record<string, unknown> = { comments: comments.map(({ sequence: _s, ...rest }) => rest) };
  if (page.length > limit) body.nextCursor = encodeCursor({ q: comments[comments.length - 1]!.sequence });
  return c.json(body);
});

content.get("/accounts/:did/content", async (c) => {
  const { did } = parseOr400(DidParam, c.req.param(), "path");
  const { limit = DEFAULT_LIMIT, cursor } = parseOr400(PageQuery, c.req.query(), "query");
  const before = seqCursor(cursor);
  // Posts are partitioned by content id: ask every shard for its newest, merge newest first.
  const pages = await Promise.all(allContentShards(getConfig(c.env).CONTENT_SHARDS).map((s) => c.env.CONTENT_SHARD.getByName(s).byAuthor(did, limit + 1, before)));
  const all = pages.flat().sort((a, b) => b.sequence - a.sequence);
  const items = all.slice(0, limit);
  const body: Record<string, unknown> = { items: items.map(publicView) };
  if (all.length > limit) body.nextCursor = encodeCursor({ q: items[items.length - 1]!.sequence });
  return c.json(body);
});

content.get("/search", async (c) => {
  searchesInFlight++;
  try {
    return await search(c);
  } finally {
    searchesInFlight--;
  }
});

async function search(c: AppContext) {
  const query = parseOr400(SearchQuery, c.req.query(), "query");
  const parsed = parseQuery(query.q);
  if (!parsed.ok) throw validationError(parsed.error, [{ path: "q", message: parsed.error }]);
  const limit = query.limit ?? DEFAULT_SEARCH_LIMIT;
  let cursor: RankCursor | undefined;
  if (query.cursor !== undefined) {
    cursor = decodeCursor(query.cursor, isRankCursor) ?? undefined;
    if (!cursor || cursor.g.hits.length !== parsed.phrases.length) {
      throw validationError("invalid cursor", [{ path: "cursor", message: "not a cursor issued by this API for this query" }]);
    }
  }
  const names = allIndexShards(getConfig(c.env).INDEX_SHARDS);
  const { query: queries, page } = coalescersFor(c.env);
  // One round: every shard answers with its local top rows and its statistics; the merged
  // score rescales each shard by one factor from the global statistics (their sum on page 1,
  // the first page's, carried in the cursor, on later pages: stable scores).
  const shardQuery: ShardQuery = {
    phrases: parsed.phrases,
    limit: limit + 1,
    ...(query.author ? { author: query.author } : {}),
    ...(query.tag ? { tag: query.tag } : {}),
    ...(cursor ? { after: { s: cursor.s, i: cursor.i, g: cursor.g } } : {}),
  };
  const answers = await queries.runMany(names, names.map(() => shardQuery));
  const ok = answers.map((a, k) => {
    if ("error" in a) throw new Error(`index shard ${names[k]} failed: ${a.error}`);
    return a;
  });
  const global: TermStats = cursor?.g ?? {
    docs: ok.reduce((n, a) => n + a.docs, 0),
    hits: parsed.phrases.map((_, i) => ok.reduce((n, a) => n + a.hits[i]!, 0)),
  };
  const lists = ok.map((a, shard) => {
    const f = shardFactor(global, a);
    return a.rows.map((r) => ({ rowid: r.rowid, id: r.id, shard, score: r.b * f }));
  });
  const { items, more } = mergeTop(lists, limit);
  // Second round, for the rows that made the page only, from the shards that hold them: their
  // result fields and snippets. A row deleted in between is left out (it is no longer content).
  const wanted = new Map<number, PageRequest["rows"]>();
  for (const r of items) wanted.set(r.shard, [...(wanted.get(r.shard) ?? []), { rowid: r.rowid, id: r.id }]);
  const pageShards = [...wanted.keys()];
  const pages = await page.runMany(
    pageShards.map((shard) => names[shard]!),
    pageShards.map((shard) => ({ match: parsed.match, phrases: parsed.phrases, rows: wanted.get(shard)! })),
  );
  const fields = new Map<number, Record<number, ResultFields>>(pageShards.map((shard, k) => [shard, pages[k]!]));
  const body: Record<string, unknown> = {
    results: items.flatMap((r) => {
      const f = fields.get(r.shard)?.[r.rowid];
      return f ? [{ id: r.id, author: f.author, title: f.title, snippet: f.snippet, score: r.score, createdAt: f.createdAt, tags: f.tags }] : [];
    }),
  };
  if (more) {
    const last = items[items.length - 1]!;
    body.nextCursor = encodeCursor({ s: last.score, i: last.id, g: global } satisfies RankCursor);
  }
  return c.json(body);
}
