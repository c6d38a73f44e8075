// Content, comments, author timelines and search (DESIGN §9). Cursors are opaque.
import { Hono } from "hono";
import type { Env } from "../../env";
import { getConfig } from "../../lib/config";
import { ApiError, validationError } from "../../lib/errors";
import type { PostView } from "../../durable-objects/ContentShard";
import { parseQuery } from "../../search/query";
import { decodeCursor, encodeCursor, isRankCursor, isSeqCursor, mergeTop } from "../../search/merge";
import { ContentIdParam, DidParam, PageQuery, SearchQuery } from "../../schemas/api";
import { allContentShards, allIndexShards, contentShardFor } from "../shards";
import { parseOr400, type AppContext } from "../http";

export const content = new Hono<{ Bindings: Env }>();

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
  let after: { s: number; i: string } | undefined;
  if (query.cursor !== undefined) {
    after = decodeCursor(query.cursor, isRankCursor) ?? undefined;
    if (!after) throw validationError("invalid cursor", [{ path: "cursor", message: "not a cursor issued by this API" }]);
  }
  const shardQuery = { match: parsed.match, limit: limit + 1, ...(query.author ? { author: query.author } : {}), ...(query.tag ? { tag: query.tag } : {}), ...(after ? { after } : {}) };
  const lists = await Promise.all(allIndexShards(getConfig(c.env).INDEX_SHARDS).map((s) => c.env.INDEX_SHARD.getByName(s).search(shardQuery)));
  const { items, more } = mergeTop(lists, limit);
  const body: Record<string, unknown> = { results: items };
  if (more) {
    const last = items[items.length - 1]!;
    body.nextCursor = encodeCursor({ s: last.score, i: last.id });
  }
  return c.json(body);
});
