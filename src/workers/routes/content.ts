// Content, comments, author timelines and search (DESIGN §9). Cursors are opaque.
import { Hono } from "hono";
import type { Env } from "../../env";
import { getConfig } from "../../lib/config";
import { ApiError, validationError } from "../../lib/errors";
import type { PostView } from "../../durable-objects/ContentShard";
import type { IndexShard } from "../../durable-objects/IndexShard";
import { parseQuery } from "../../search/query";
import { decodeCursor, encodeCursor, isRankCursor, isSeqCursor, mergeTop, type RankCursor } from "../../search/merge";
import { ContentIdParam, DidParam, PageQuery, SearchQuery } from "../../schemas/api";
import { allContentShards, allIndexShards, contentShardFor } from "../shards";
import { parseOr400, type AppContext } from "../http";

export const content = new Hono<{ Bindings: Env }>();

// Per-phrase global statistics, cached per isolate for a few seconds: an immutable snapshot
// per phrase, replaced whole. Bounded; cleared when full.
const STATS_TTL_MS = 5_000;
const STATS_MAX = 10_000;
const statsCache = new Map<string, { at: number; docs: number; hits: number }>();

type Stats = { docs: number; hits: number[] };

/** Global statistics, and each shard's own when this call had to ask for them. */
async function globalStats(shards: DurableObjectStub<IndexShard>[], phrases: string[]): Promise<{ global: Stats; local?: Stats[] }> {
  const now = Date.now();
  const cached = phrases.map((p) => statsCache.get(p));
  if (cached.every((c) => c && now - c.at < STATS_TTL_MS)) {
    return { global: { docs: cached[0]!.docs, hits: cached.map((c) => c!.hits) } };
  }
  const per = await Promise.all(shards.map((s) => s.termStats(phrases)));
  const docs = per.reduce((n, s) => n + s.docs, 0);
  const hits = phrases.map((_, i) => per.reduce((n, s) => n + s.hits[i]!, 0));
  if (statsCache.size + phrases.length > STATS_MAX) statsCache.clear();
  phrases.forEach((p, i) => statsCache.set(p, { at: now, docs, hits: hits[i]! }));
  return { global: { docs, hits }, local: per };
}

const DEFAULT_LIMIT = 20;
const DEFAULT_SEARCH_LIMIT = 10;

const contentShard = (c: AppContext, id: string) => c.env.CONTENT_SHARD.getByName(contentShardFor(id, getConfig(c.env).CONTENT_SHARDS));

function seqCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const v = decodeCursor(cursor, isSeqCursor);
  if (!v) throw validationError("invalid cursor", [{ path: "cursor", message: "not a cursor issued by this API" }]);
  return v.q;
}

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
  const after = cursor ? { s: cursor.s, i: cursor.i } : undefined;
  const shards = allIndexShards(getConfig(c.env).INDEX_SHARDS).map((s) => c.env.INDEX_SHARD.getByName(s));
  // Two rounds (DFS query-then-fetch): global statistics, then every shard scores with them.
  // Later pages reuse the statistics of the first (carried in the cursor): stable scores.
  const { global, local } = cursor ? { global: cursor.g, local: undefined } : await globalStats(shards, parsed.phrases);
  const shardQuery = {
    phrases: parsed.phrases,
    global,
    limit: limit + 1,
    ...(query.author ? { author: query.author } : {}),
    ...(query.tag ? { tag: query.tag } : {}),
    ...(after ? { after } : {}),
  };
  const lists = await Promise.all(shards.map((s, i) => s.search(local ? { ...shardQuery, local: local[i]! } : shardQuery)));
  const { items, more } = mergeTop(lists, limit);
  const body: Record<string, unknown> = { results: items };
  if (more) {
    const last = items[items.length - 1]!;
    body.nextCursor = encodeCursor({ s: last.score, i: last.id, g: global } satisfies RankCursor);
  }
  return c.json(body);
});
