// The HTTP API: thin routes that validate, call a DO over RPC and map results to responses.
import { Hono } from "hono";
import type { Env } from "../env";
import { ApiError, problemResponse } from "../lib/errors";
import { clientIp, onError } from "./http";
import { events } from "./routes/events";
import { network } from "./routes/network";
import { admin } from "./routes/admin";
import { pages } from "./routes/pages";
import { ledger } from "./routes/ledger";
import { content } from "./routes/content";
import { storage } from "./routes/storage";
import { poe } from "./routes/poe";
import { ads } from "./routes/ads";
import { dht } from "./routes/dht";

export const app = new Hono<{ Bindings: Env }>();

const RATE_WINDOW_S = 10;

// Per-client-IP limits: reads 20,000 and writes 2,000 per 10 s by default.
app.use("/v1/*", async (c, next) => {
  const write = c.req.method !== "GET" && c.req.method !== "HEAD";
  const limiter = write ? c.env.IP_WRITE_LIMITER : c.env.IP_READ_LIMITER;
  const { success } = await limiter.limit({ key: clientIp(c) });
  if (!success) {
    throw new ApiError(429, "rate_limited", `too many ${write ? "writes" : "reads"} from this client; retry later`, {
      retryAfter: RATE_WINDOW_S,
    });
  }
  await next();
});

app.route("/v1/events", events);
app.route("/v1/admin", admin);
app.route("/v1", network);
app.route("/v1", ledger);
app.route("/v1", content);
app.route("/v1", storage);
app.route("/v1", poe);
app.route("/v1", ads);
app.route("/v1", dht);
app.route("/", pages);

app.notFound((c) => problemResponse(new ApiError(404, "not_found", `no route ${c.req.method} ${c.req.path}`)));
app.onError(onError);
