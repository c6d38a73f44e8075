// POST /v1/events and GET /v1/events/:id (DESIGN §4).
import { Hono } from "hono";
import type { Env } from "../../env";
import { getConfig } from "../../lib/config";
import { ApiError, validationError } from "../../lib/errors";
import { isFresh, signingBytes, verifyEventSignatureOver } from "../../lib/events";
import { sha256Hex } from "../../lib/crypto";
import { Event } from "../../schemas/events";
import { EventIdParam } from "../../schemas/api";
import { shardFor } from "../shards";
import { parseJson, parseOr400, readBodyLimited } from "../http";

export const events = new Hono<{ Bindings: Env }>();

const AUTHOR_WINDOW_S = 10;
const OVERLOAD_RETRY_S = 2;

events.post("/", async (c) => {
  const config = getConfig(c.env);
  // 413 → 400 → (known: 200) → 401 → 422 → 429 → 503 → 202. The signature and freshness are
  // computed here but reported by the shard only once it knows the id is new.
  const raw = await readBodyLimited(c.req.raw, config.EVENT_MAX_BYTES);
  const event = parseOr400(Event, parseJson(raw), "event");
  let bytes: Uint8Array;
  try {
    bytes = signingBytes(event);
  } catch (err) {
    // JSON.parse admits what RFC 8785 refuses (lone surrogates, 1e400 → Infinity).
    throw validationError("event is not I-JSON and cannot be canonicalized", [{ path: "(root)", message: (err as Error).message }]);
  }
  const [id, signatureValid] = await Promise.all([sha256Hex(bytes), verifyEventSignatureOver(event, bytes)]);
  const intakeAt = Date.now();
  const fresh = isFresh(event.createdAt, intakeAt, config.CLOCK_SKEW_MS);

  const shard = c.env.EVENT_SHARD.getByName(shardFor(id, config.EVENT_SHARDS));
  const result = await shard.submit({ id, event, intakeAt, signatureValid, fresh });
  switch (result.outcome) {
    case "known":
      return c.json({ id, status: result.status }, 200);
    case "accepted":
      return c.json({ id, status: "pending" }, 202);
    case "refused":
      switch (result.code) {
        case "invalid_signature":
          throw new ApiError(401, "invalid_signature", "sig is not a valid Ed25519 signature by author over JCS(event without sig)");
        case "stale_event":
          throw new ApiError(422, "stale_event", `createdAt must be within ${config.CLOCK_SKEW_MS} ms of the server's clock`);
        case "rate_limited":
          throw new ApiError(429, "rate_limited", "too many events from this author; retry later", { retryAfter: AUTHOR_WINDOW_S });
        case "overloaded":
          throw new ApiError(503, "overloaded", "the witness inbox is full; retry later", { retryAfter: OVERLOAD_RETRY_S });
      }
  }
});

events.get("/:id", async (c) => {
  const { id } = parseOr400(EventIdParam, c.req.param(), "path");
  const record = await c.env.EVENT_SHARD.getByName(shardFor(id, getConfig(c.env).EVENT_SHARDS)).get(id);
  if (!record) throw new ApiError(404, "not_found", `no event ${id}`);
  return c.json(record);
});
