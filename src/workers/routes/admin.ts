// Admin routes: `Authorization: Bearer <ADMIN_TOKEN>`; refused when no token is configured.
import { Hono, type MiddlewareHandler } from "hono";
import type { Env } from "../../env";
import { faultsEnabled, getConfig } from "../../lib/config";
import { ApiError } from "../../lib/errors";
import { AdminMint, AdminReputation, AdminStorageAudit, FaultSettings } from "../../schemas/api";
import { replicaKey } from "../../lib/placement";
import { LEAF_SIZE } from "../../lib/merkle";
import { AUDITOR } from "../../storage/store";
import { SYSTEM_ISSUER, allIndexShards } from "../shards";
import { resetDurableObjects } from "../../durable-objects/fault-reset";
import { parseJson, parseOr400, readBodyLimited } from "../http";

export const admin = new Hono<{ Bindings: Env }>();

async function tokenMatches(given: string, expected: string): Promise<boolean> {
  const enc = new TextEncoder();
  // Compare digests so the comparison is constant-time and length-independent.
  const [a, b] = await Promise.all([crypto.subtle.digest("SHA-256", enc.encode(given)), crypto.subtle.digest("SHA-256", enc.encode(expected))]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export const requireAdmin: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const expected = typeof c.env.ADMIN_TOKEN === "string" ? c.env.ADMIN_TOKEN : "";
  if (!expected) throw new ApiError(401, "unauthorized", "admin calls are disabled: no ADMIN_TOKEN is configured");
  const m = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "");
  if (!m || !(await tokenMatches(m[1]!, expected))) throw new ApiError(401, "unauthorized", "a valid admin bearer token is required");
  await next();
};

// Fault injection exists only when ECHONET_FAULTS=1; otherwise it is a plain 404.
const faultsOn: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  if (!faultsEnabled(getConfig(c.env))) throw new ApiError(404, "not_found", `no route ${c.req.method} ${c.req.path}`);
  await next();
};

admin.get("/faults", faultsOn, requireAdmin, async (c) => c.json(await c.env.FAULTS.getByName("faults").get()));
admin.post("/faults", faultsOn, requireAdmin, async (c) => {
  const parsed = parseOr400(FaultSettings, parseJson(await readBodyLimited(c.req.raw, 4096)), "fault settings");
  // Storage actions (issue 5) act once on R2 and are not kept; a body of only actions leaves
  // the settings as they are.
  const { dropReplica, corruptReplica, resetDurableObject, ...settings } = parsed;
  if (dropReplica) await replicaFault(c.env, "drop", dropReplica);
  if (corruptReplica) await replicaFault(c.env, "corrupt", corruptReplica);
  if (resetDurableObject) await resetFault(c.env, resetDurableObject.class, resetDurableObject.name);
  const faults = c.env.FAULTS.getByName("faults");
  if ((dropReplica || corruptReplica || resetDurableObject) && Object.keys(settings).length === 0) return c.json(await faults.get());
  return c.json(await faults.set(settings));
});

// ---- Durable Object resets (issue 9) ----

async function resetFault(env: Env, className: string, name: string | undefined): Promise<void> {
  const r = await resetDurableObjects(env, getConfig(env), className, name);
  if (r.ok) return;
  if (r.reason === "unknown_class") throw new ApiError(404, "not_found", `no resettable Durable Object class ${className}`);
  if (r.reason === "unknown_name") throw new ApiError(404, "not_found", `no ${className} named ${name}`);
  throw new ApiError(400, "validation_failed", `${className} instances are keyed by id: give a name`, {
    errors: [{ path: "resetDurableObject.name", message: "required for this class" }],
  });
}

// ---- Storage (issue 5) ----

async function replicaFault(env: Env, action: "drop" | "corrupt", { cid, node }: { cid: string; node: string }): Promise<void> {
  const key = replicaKey(node, cid);
  const obj = await env.CHUNKS.get(key);
  if (!obj) throw new ApiError(404, "not_found", `no replica of ${cid} on ${node}`);
  if (action === "drop") return void (await env.CHUNKS.delete(key));
  // Flip one byte in every leaf, so any storage challenge of this replica fails.
  const bytes = new Uint8Array(await obj.arrayBuffer());
  for (let i = 0; i < bytes.length; i += LEAF_SIZE) bytes[i] = bytes[i]! ^ 0xff;
  await env.CHUNKS.put(key, bytes);
}

// ---- Search (issue 4) ----

admin.get("/index", requireAdmin, async (c) => {
  const names = allIndexShards(getConfig(c.env).INDEX_SHARDS);
  const shards = await Promise.all(names.map(async (shard) => ({ shard, ...(await c.env.INDEX_SHARD.getByName(shard).stats()) })));
  return c.json({ shards });
});

admin.post("/storage/audit", requireAdmin, async (c) => {
  const raw = await readBodyLimited(c.req.raw, 8192);
  const { cids } = raw.length === 0 ? { cids: undefined } : parseOr400(AdminStorageAudit, parseJson(raw), "audit request");
  return c.json(await c.env.STORAGE_AUDITOR.getByName(AUDITOR).runRound(cids));
});

// System events: the admin asks, the deployment signs (sys.mint, sys.reputation). An
// `Idempotency-Key` header makes a retried call issue the same event; without one, every
// call is a new event.
const IDEMPOTENCY_KEY = /^[A-Za-z0-9:._-]{1,100}$/;

function idempotencyKey(header: string | undefined): string {
  if (header === undefined) return crypto.randomUUID();
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new ApiError(400, "validation_failed", "Idempotency-Key must be 1-100 characters of [A-Za-z0-9:._-]", {
      errors: [{ path: "Idempotency-Key", message: "invalid idempotency key" }],
    });
  }
  return `admin:${header}`;
}

admin.post("/mint", requireAdmin, async (c) => {
  const { to, amount } = parseOr400(AdminMint, parseJson(await readBodyLimited(c.req.raw, 4096)), "mint");
  const key = idempotencyKey(c.req.header("idempotency-key"));
  const { id } = await c.env.SYSTEM_ISSUER.getByName(SYSTEM_ISSUER).issue("sys.mint", { to, amount, key });
  return c.json({ id, status: "pending" }, 202);
});

admin.post("/reputation", requireAdmin, async (c) => {
  const { did, score } = parseOr400(AdminReputation, parseJson(await readBodyLimited(c.req.raw, 4096)), "reputation");
  const key = idempotencyKey(c.req.header("idempotency-key"));
  const { id } = await c.env.SYSTEM_ISSUER.getByName(SYSTEM_ISSUER).issue("sys.reputation", { did, score, key });
  return c.json({ id, status: "pending" }, 202);
});
