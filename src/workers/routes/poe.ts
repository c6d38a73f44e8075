// Proof of Engagement (DESIGN §8): epochs, per-account rewards, and the admin close (plus the
// benchmark bulk load, which exists only when enabled).
import { Hono, type MiddlewareHandler } from "hono";
import type { Env } from "../../env";
import { getConfig, poeBulkLoadEnabled } from "../../lib/config";
import { ApiError } from "../../lib/errors";
import { AdminPoeBulk, AdminPoeClose, EpochDidParam, EpochParam } from "../../schemas/api";
import { POE_COORDINATOR, poeShardIndex, poeShardName } from "../../poe/shards";
import type { EngagementRow } from "../../durable-objects/PoeShard";
import { parseJson, parseOr400, readBodyLimited, type AppContext } from "../http";
import { requireAdmin } from "./admin";
import { shardFor } from "../shards";

export const poe = new Hono<{ Bindings: Env }>();

const coordinator = (c: AppContext) => c.env.POE_COORDINATOR.getByName(POE_COORDINATOR);

async function epochOr404(c: AppContext, n: number) {
  const view = await coordinator(c).epoch(n);
  if (!view) throw new ApiError(404, "not_found", `epoch ${n} has not started`);
  return view;
}

// "/poe/epochs/current" is served by the "/poe/epochs/:n" route (one route per position keeps
// the app on Hono's RegExpRouter; see the blocks routes in ledger.ts).
poe.get("/poe/epochs/:n", async (c) => {
  if (c.req.param("n") === "current") return c.json(await epochOr404(c, await coordinator(c).current()));
  const { n } = parseOr400(EpochParam, c.req.param(), "path");
  return c.json(await epochOr404(c, n));
});

poe.get("/poe/epochs/:n/rewards/:did", async (c) => {
  const { n, did } = parseOr400(EpochDidParam, c.req.param(), "path");
  const r = await coordinator(c).rewards(n, did);
  if (!r) throw new ApiError(404, "not_found", `${did} earned nothing in epoch ${n}`);
  return c.json(r);
});

poe.post("/admin/poe/close", requireAdmin, async (c) => {
  const raw = await readBodyLimited(c.req.raw, 1024);
  const { epoch } = raw.length === 0 ? { epoch: undefined } : parseOr400(AdminPoeClose, parseJson(raw), "close request");
  const current = await coordinator(c).current();
  const n = epoch ?? current;
  if (n > current) throw new ApiError(400, "invalid_epoch", `epoch ${n} has not started (current: ${current})`);
  const { id } = await coordinator(c).requestClose(n);
  const record = (await c.env.EVENT_SHARD.getByName(shardFor(id, getConfig(c.env).EVENT_SHARDS)).get(id)) as { status: string } | null;
  const status = record?.status ?? "pending";
  return c.json({ epoch: n, id, status }, 202);
});

const bulkOn: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  if (!poeBulkLoadEnabled(getConfig(c.env))) throw new ApiError(404, "not_found", `no route ${c.req.method} ${c.req.path}`);
  await next();
};

// Benchmarks only: engagements straight into the current epoch's map shards (the same DOs and
// the same ingest the poe-engagement consumer uses), counted like applied ones.
poe.post("/admin/poe/bulk", bulkOn, requireAdmin, async (c) => {
  const { source, engagements } = parseOr400(AdminPoeBulk, parseJson(await readBodyLimited(c.req.raw, 8 * 1024 * 1024)), "bulk load");
  const shards = getConfig(c.env).POE_SHARDS;
  const groups = new Map<number, EngagementRow[]>();
  for (const e of engagements) {
    const i = poeShardIndex(e.engager, shards);
    if (!groups.has(i)) groups.set(i, []);
    groups.get(i)!.push({ ...e, id: `bulk:${source}:${e.id}` });
  }
  const counts = Array.from({ length: shards }, (_, i) => groups.get(i)?.length ?? 0);
  const { epoch } = await coordinator(c).expectBulk(source, counts);
  await Promise.all([...groups].map(([i, rows]) => c.env.POE_SHARD.getByName(poeShardName(epoch, i)).ingest(rows)));
  return c.json({ epoch, count: engagements.length });
});
