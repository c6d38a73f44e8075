// Discovery DHT (DESIGN §6): the node RPC an external peer speaks, lookups, providers, the
// hosted nodes. Per-client-IP in-flight bound here (per isolate); per-peer token buckets in
// each DhtNode.
import { Hono } from "hono";
import type { Env } from "../../env";
import { getConfig } from "../../lib/config";
import { ApiError } from "../../lib/errors";
import { keyIdOf } from "../../lib/dht";
import { DhtKeyParam, DhtNodeIdParam, DhtRpcRequest, DhtTargetParam, DhtViaQuery } from "../../schemas/dht";
import { dhtStub, hostedNodes, lookupNode, withAddrs } from "../../dht/hosted";
import type { RpcOutcome } from "../../durable-objects/DhtNode";
import { clientIp, parseJson, parseOr400, readBodyLimited, type AppContext } from "../http";

export const dht = new Hono<{ Bindings: Env }>();

const RPC_MAX_BYTES = 16 * 1024;
const INFLIGHT_TABLE_MAX = 10_000;
const inflight = new Map<string, number>();

const origin = (c: AppContext) => new URL(c.req.url).origin;

function outcomeOrThrow(r: RpcOutcome) {
  if (r.ok) return r.res;
  if (r.code === "rate_limited") throw new ApiError(429, "rate_limited", r.detail, { retryAfter: r.retryAfter });
  if (r.code === "invalid_signature") throw new ApiError(401, "invalid_signature", r.detail);
  if (r.code === "insufficient_storage") throw new ApiError(507, "insufficient_storage", r.detail);
  if (r.code === "not_found") throw new ApiError(404, "not_found", r.detail);
  throw new ApiError(400, "validation_failed", r.detail, { errors: [{ path: "record", message: r.detail }] });
}

dht.post("/dht/nodes/:id/rpc", async (c) => {
  const { id } = parseOr400(DhtNodeIdParam, c.req.param(), "path");
  const req = parseOr400(DhtRpcRequest, parseJson(await readBodyLimited(c.req.raw, RPC_MAX_BYTES)), "rpc");
  const node = (await hostedNodes(c.env)).byId.get(id);
  if (!node) throw new ApiError(404, "not_found", `no hosted DHT node ${id}`);
  const config = getConfig(c.env);
  const peer = `ip:${clientIp(c)}`;
  const n = inflight.get(peer) ?? 0;
  if (n >= config.DHT_PEER_MAX_INFLIGHT) throw new ApiError(429, "rate_limited", `more than ${config.DHT_PEER_MAX_INFLIGHT} RPCs in flight from this client`, { retryAfter: 1 });
  if (n === 0 && inflight.size >= INFLIGHT_TABLE_MAX) throw new ApiError(503, "overloaded", "too many DHT clients in flight", { retryAfter: 1 });
  inflight.set(peer, n + 1);
  try {
    const res = outcomeOrThrow(await dhtStub(c.env, node.name).rpc(peer, req, false, origin(c)));
    return c.json(res.nodes ? { ...res, nodes: withAddrs(origin(c), res.nodes) } : res);
  } finally {
    const left = (inflight.get(peer) ?? 1) - 1;
    if (left <= 0) inflight.delete(peer);
    else inflight.set(peer, left);
  }
});

async function viaOr404(c: AppContext, target: string) {
  const { via } = parseOr400(DhtViaQuery, c.req.query(), "query");
  const node = await lookupNode(c.env, target, via);
  if (!node) throw new ApiError(404, "not_found", `no hosted DHT node ${via}`);
  return node;
}

dht.get("/dht/lookup/:target", async (c) => {
  const { target } = parseOr400(DhtTargetParam, c.req.param(), "path");
  const node = await viaOr404(c, target);
  const r = await dhtStub(c.env, node.name).lookup(target, origin(c));
  return c.json({ ...r, nodes: withAddrs(origin(c), r.nodes) });
});

dht.get("/dht/providers/:key", async (c) => {
  const { key } = parseOr400(DhtKeyParam, c.req.param(), "path");
  const node = await viaOr404(c, keyIdOf(key));
  return c.json(await dhtStub(c.env, node.name).providers(key, origin(c)));
});

dht.get("/dht/nodes", async (c) => {
  const { entries } = await hostedNodes(c.env);
  return c.json({ nodes: await Promise.all(entries.map((e) => dhtStub(c.env, e.name).info())) });
});

dht.get("/dht/nodes/:id", async (c) => {
  const { id } = parseOr400(DhtNodeIdParam, c.req.param(), "path");
  const node = (await hostedNodes(c.env)).byId.get(id);
  if (!node) throw new ApiError(404, "not_found", `no hosted DHT node ${id}`);
  return c.json(await dhtStub(c.env, node.name).detail());
});
