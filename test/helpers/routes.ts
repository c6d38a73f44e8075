// Every HTTP route, as a table for the fuzzer and the security tests. A route that is not in
// ROUTES fails test/api/fuzz-routes.test.ts ("the table covers every registered route"), so
// areas that add routes (DHT, ads, PoE) append their rows here.
//
// `auth` says how the route is protected (DESIGN §3): "admin" (bearer token), "request"
// (request-auth signature), "event" (signed event in the body), or "public" (public by
// design: reads, storage challenges; rate-limited per IP like everything under /v1), or
// "token" (public by design, but the body carries a token the deployment signed: ad
// interaction events, DESIGN §3/§7).
// `maxBody` is the body bound the route enforces (413 beyond it); `valid` builds a valid
// body, used for mutation fuzzing and the size-limit test.

export type Auth = "admin" | "request" | "event" | "public" | "token";

export interface Samples {
  eventId: string;
  did: string;
  cid: string;
  height: string;
  instance: string;
  contentId: string;
  node: string;
  /** An epoch number (PoE routes' `:n`); "0" when absent. */
  epoch?: string;
  /** A campaign id (`/v1/campaigns/:id`); the event id when absent. */
  campaign?: string;
  /** An ad interaction token from a real auction. */
  token?: string;
}

export interface RouteSpec {
  method: "GET" | "POST" | "PUT" | "HEAD";
  /** Hono path pattern, e.g. /v1/events/:id */
  path: string;
  auth: Auth;
  /** Query keys the route knows. */
  query?: string[];
  body?: { maxBody: number; valid?: (s: Samples) => unknown };
  /** Fuzzing with a valid admin token must not change global state: bodies that would be valid are skipped. */
  skipValidBody?: boolean;
  /** A documented path that the router serves through this parameter route (a named value of the parameter). */
  servedBy?: string;
}

/** POST /v1/dht/nodes/:id/rpc body bound (src/workers/routes/dht.ts RPC_MAX_BYTES). */
const RPC_MAX = 16 * 1024;

export const ROUTES: RouteSpec[] = [
  { method: "POST", path: "/v1/events", auth: "event", body: { maxBody: 65_536 } },
  { method: "GET", path: "/v1/events/:id", auth: "public" },
  { method: "GET", path: "/v1/admin/faults", auth: "admin" },
  { method: "GET", path: "/v1/admin/index", auth: "admin" },
  { method: "POST", path: "/v1/admin/faults", auth: "admin", body: { maxBody: 4096, valid: () => ({}) }, skipValidBody: true },
  { method: "POST", path: "/v1/admin/storage/audit", auth: "admin", body: { maxBody: 8192, valid: (s) => ({ cids: [s.cid] }) }, skipValidBody: true },
  { method: "POST", path: "/v1/admin/mint", auth: "admin", body: { maxBody: 4096, valid: (s) => ({ to: s.did, amount: "1" }) }, skipValidBody: true },
  { method: "POST", path: "/v1/admin/reputation", auth: "admin", body: { maxBody: 4096, valid: (s) => ({ did: s.did, score: 1 }) }, skipValidBody: true },
  { method: "GET", path: "/v1/witnesses", auth: "public" },
  { method: "GET", path: "/v1/health", auth: "public" },
  { method: "GET", path: "/v1/status", auth: "public" },
  { method: "GET", path: "/v1/blocks/latest", auth: "public", servedBy: "/v1/blocks/:height" },
  { method: "GET", path: "/v1/blocks/:height", auth: "public" },
  { method: "GET", path: "/v1/accounts/:did", auth: "public", query: ["at"] },
  { method: "GET", path: "/v1/ledger/supply", auth: "public", query: ["at"] },
  { method: "GET", path: "/v1/contracts", auth: "public" },
  { method: "GET", path: "/v1/contracts/:instance", auth: "public", query: ["at"] },
  { method: "GET", path: "/v1/content/:id", auth: "public" },
  { method: "GET", path: "/v1/content/:id/comments", auth: "public", query: ["limit", "cursor"] },
  { method: "GET", path: "/v1/accounts/:did/content", auth: "public", query: ["limit", "cursor"] },
  { method: "GET", path: "/v1/search", auth: "public", query: ["q", "limit", "author", "tag", "cursor"] },
  { method: "PUT", path: "/v1/chunks", auth: "request", body: { maxBody: 1_048_576 } },
  { method: "GET", path: "/v1/chunks/:cid/meta", auth: "public" },
  { method: "GET", path: "/v1/chunks/:cid", auth: "public" },
  { method: "HEAD", path: "/v1/chunks/:cid", auth: "public" },
  { method: "GET", path: "/v1/storage/nodes", auth: "public" },
  { method: "POST", path: "/v1/storage/nodes/:id/challenge", auth: "public", body: { maxBody: 1024, valid: (s) => ({ cid: s.cid, leafIndex: 0 }) } },
  { method: "GET", path: "/v1/storage/audits", auth: "public" },
  { method: "GET", path: "/v1/storage/usage/:did", auth: "public" },
  // Ad marketplace (DESIGN §7).
  { method: "POST", path: "/v1/ads/auction", auth: "request", body: { maxBody: 16_384, valid: (s) => ({ placement: "fuzz", publisher: s.did, context: { keywords: ["fuzz"] } }) } },
  { method: "POST", path: "/v1/ads/events", auth: "token", body: { maxBody: 8192, valid: (s) => ({ token: s.token ?? "v1.e30.AAAA", type: "impression" }) } },
  { method: "GET", path: "/v1/campaigns/:id", auth: "public" },
  { method: "GET", path: "/v1/campaigns", auth: "public", query: ["advertiser"] },
  // Proof of Engagement (DESIGN §8). The bulk load exists only with POE_BULK_LOAD=1 or
  // ECHONET_FAULTS=1 (the test projects set the latter); otherwise it is a 404.
  { method: "GET", path: "/v1/poe/epochs/current", auth: "public", servedBy: "/v1/poe/epochs/:n" },
  { method: "GET", path: "/v1/poe/epochs/:n", auth: "public" },
  { method: "GET", path: "/v1/poe/epochs/:n/rewards/:did", auth: "public" },
  { method: "POST", path: "/v1/admin/poe/close", auth: "admin", body: { maxBody: 1024, valid: (s) => ({ epoch: Number(s.epoch ?? "0") }) }, skipValidBody: true },
  {
    method: "POST",
    path: "/v1/admin/poe/bulk",
    auth: "admin",
    body: { maxBody: 8 * 1024 * 1024, valid: (s) => ({ source: "fuzz", engagements: [{ id: "1", kind: "like", engager: s.did, target: "ab".repeat(32), creator: s.did }] }) },
    skipValidBody: true,
  },
  // Discovery DHT (DESIGN §6): public by design (records are signed by their provider), rate-limited per peer.
  { method: "POST", path: "/v1/dht/nodes/:id/rpc", auth: "public", body: { maxBody: RPC_MAX, valid: (s) => ({ op: "PING", from: { id: s.eventId } }) } },
  { method: "GET", path: "/v1/dht/lookup/:target", auth: "public", query: ["via"] },
  { method: "GET", path: "/v1/dht/providers/:key", auth: "public", query: ["via"] },
  { method: "GET", path: "/v1/dht/nodes", auth: "public" },
  { method: "GET", path: "/v1/dht/nodes/:id", auth: "public" },
  { method: "GET", path: "/openapi.json", auth: "public" },
  { method: "GET", path: "/docs", auth: "public" },
  { method: "GET", path: "/", auth: "public" },
];

/** A sample value for a path parameter of a route (`:id` means different things per route). */
export function sampleFor(path: string, name: string, s: Samples): string {
  if (name === "id" && path.includes("/storage/nodes/")) return s.node;
  if (name === "id" && path.startsWith("/v1/campaigns/")) return s.campaign ?? s.eventId;
  return sampleParam(name, s);
}

/** A sample value for each path parameter name. */
export function sampleParam(name: string, s: Samples): string {
  switch (name) {
    case "n":
      return s.epoch ?? "0";
    case "id":
      return s.eventId;
    case "did":
      return s.did;
    case "cid":
      return s.cid;
    case "height":
      return s.height;
    case "instance":
      return s.instance;
    default:
      return s.node;
  }
}

export const paramNames = (path: string): string[] => [...path.matchAll(/:([a-z]+)/g)].map((m) => m[1]!);

export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/:([a-z]+)/g, (_, k: string) => values[k]!);
}
