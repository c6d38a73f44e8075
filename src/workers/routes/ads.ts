// The ad marketplace (DESIGN §7): auctions (request auth by the publisher), interaction events
// (public, token-authenticated, per-IP rate-limited by the /v1 middleware), campaign reads.
import { Hono } from "hono";
import type { Env } from "../../env";
import { getConfig } from "../../lib/config";
import { ApiError } from "../../lib/errors";
import { verifyRequestAuth } from "../../lib/request-auth";
import { AdEventRequest, AuctionRequest, CampaignIdParam, CampaignListQuery } from "../../schemas/api";
import { importTokenKey, verifyToken } from "../../ads/token";
import { AD_KEYRING, adMarketShard, viewerShard } from "../../ads/types";
import type { AdInteractionMessage } from "../../queues/messages";
import { parseJson, parseOr400, readBodyLimited, seqCursor } from "../http";
import { encodeCursor } from "../../search/merge";
import { IsolateCache } from "../../lib/isolate-cache";

export const ads = new Hono<{ Bindings: Env }>();

const AUCTION_MAX_BYTES = 16 * 1024;
const EVENT_MAX_BYTES = 8 * 1024;
const LIST_LIMIT = 100;

// The token key, imported once per isolate from the keyring DO (src/lib/isolate-cache.ts).
const tokenKey = new IsolateCache<0, CryptoKey>();
const getTokenKey = (env: Env): Promise<CryptoKey> => tokenKey.get(0, async () => importTokenKey(await env.AD_MARKET.getByName(AD_KEYRING).tokenSecret()));

ads.post("/ads/auction", async (c) => {
  const config = getConfig(c.env);
  const raw = await readBodyLimited(c.req.raw, AUCTION_MAX_BYTES);
  const url = new URL(c.req.url);
  const auth = await verifyRequestAuth(c.req.header("authorization"), "POST", url.pathname + url.search, raw, Date.now(), config.CLOCK_SKEW_MS);
  if (!auth.ok) throw new ApiError(401, "unauthorized", auth.reason);
  const req = parseOr400(AuctionRequest, parseJson(raw), "auction request");
  if (req.publisher !== auth.did) throw new ApiError(401, "unauthorized", "the request must be signed by the publisher DID");
  // A viewer's auctions all run on one shard, so its frequency caps are counted in one place.
  const n = config.AD_MARKET_SHARDS;
  const shard = req.viewer ? viewerShard(req.viewer, n) : Math.floor(Math.random() * n);
  const result = await c.env.AD_MARKET.getByName(adMarketShard(shard)).auction(req);
  if (!result) return c.body(null, 204);
  return c.json(result, 200);
});

ads.post("/ads/events", async (c) => {
  const raw = await readBodyLimited(c.req.raw, EVENT_MAX_BYTES);
  const { token, type } = parseOr400(AdEventRequest, parseJson(raw), "ad event");
  const claims = await verifyToken(await getTokenKey(c.env), token);
  if (!claims) throw new ApiError(400, "invalid_token", "the token was not issued by this deployment or was altered");
  const now = Date.now();
  if (now > claims.e) throw new ApiError(410, "token_expired", `the token expired at ${new Date(claims.e).toISOString()}`);
  const msg: AdInteractionMessage = {
    auctionId: claims.a,
    type,
    campaign: claims.c,
    lease: claims.l,
    price: claims.p,
    model: claims.m,
    publisher: claims.pub,
    expiresAt: claims.e,
    acceptedAt: now,
  };
  await c.env.AD_INTERACTIONS.send(msg);
  return c.json({ auctionId: claims.a, type, status: "accepted" as const }, 202);
});

ads.get("/campaigns/:id", async (c) => {
  const { id } = parseOr400(CampaignIdParam, c.req.param(), "path");
  const view = await c.env.CAMPAIGN.getByName(id).view();
  if (!view) throw new ApiError(404, "not_found", `no campaign ${id}`);
  return c.json(view);
});

ads.get("/campaigns", async (c) => {
  const { advertiser, limit = LIST_LIMIT, cursor } = parseOr400(CampaignListQuery, c.req.query(), "query");
  const before = seqCursor(cursor);
  const n = getConfig(c.env).AD_MARKET_SHARDS;
  const shard = viewerShard(advertiser, n); // any shard will do (each indexes every campaign): spread by advertiser
  const rows = await c.env.AD_MARKET.getByName(adMarketShard(shard)).listByAdvertiser(advertiser, limit + 1, before);
  const page = rows.slice(0, limit);
  const views = await Promise.all(page.map((r) => c.env.CAMPAIGN.getByName(r.id).view()));
  const body: { campaigns: unknown[]; nextCursor?: string } = { campaigns: views.filter((v) => v !== null) };
  if (rows.length > limit) body.nextCursor = encodeCursor({ q: page[page.length - 1]!.seq });
  return c.json(body);
});
