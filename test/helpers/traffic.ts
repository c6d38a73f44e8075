// Mixed traffic for chaos runs (test/chaos-traffic, in workerd) and the soak (scripts/soak.ts,
// in node against wrangler dev). Client-agnostic: it only needs a `call` function, and signs
// with WebCrypto, so it imports nothing from cloudflare:test.
//
// TRAFFIC is a registry: each entry is one kind of operation with a weight. Areas that land
// later (ad auctions, ad interaction events, DHT lookups) append an entry here and are then
// driven by both the chaos suite and the soak; their own invariants go into their checks.
import { generateEd25519 } from "../../src/lib/crypto";
import { didKeyFromPublicKey } from "../../src/lib/did";
import { eventIdOf, signEvent } from "../../src/lib/events";
import { requestAuthHeader } from "../../src/lib/request-auth";
import type { Prepared } from "./model";

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
}
export type Call = (method: string, path: string, opts?: { body?: unknown; raw?: Uint8Array; headers?: Record<string, string> }) => Promise<Reply>;

export interface Actor {
  did: string;
  privateKey: CryptoKey;
}

export async function newActor(): Promise<Actor> {
  const kp = await generateEd25519();
  return { did: didKeyFromPublicKey(kp.publicKey), privateKey: kp.privateKey };
}

/** One client operation as the client saw it. `accepted`: the server answered 2xx. */
export interface OpRecord {
  kind: string;
  accepted: boolean;
  status: number;
  /** Event id, for operations that are events. */
  id?: string;
  /** Ledger operations, for the sequential model. */
  prepared?: Prepared;
  post?: { token: string };
  view?: { target: string };
  /** A like by a trusted curator (PoE): its (engager, target) pair. */
  like?: { engager: string; target: string };
  chunk?: { cid: string; sha256: string };
  attempts: number;
}

export interface TrafficState {
  call: Call;
  actors: Actor[];
  rand: () => number;
  /** Run tag: a word every post carries, so one search finds all of this run's posts. */
  tag: string;
  posts: { id: string; author: Actor }[];
  escrows: { id: string; from: Actor; to: Actor; closed: boolean }[];
  chunks: { cid: string }[];
  seq: number;
  /** Ad marketplace traffic: absent = the ad operations do nothing. */
  ads?: AdState;
  /** PoE traffic by pre-trusted curators on dedicated creators' posts: absent = nothing. */
  poe?: { curators: Actor[]; posts: string[] };
}

export interface AdWin {
  auctionId: string;
  campaignId: string;
  model: "cpm" | "cpc";
  price: bigint;
  token: string;
  publisher: string;
  /** A 202 for this (auctionId, type) was seen (it must be charged, once). */
  impression: boolean;
  click: boolean;
  /** Sends, duplicates included. */
  sent: number;
}

export interface CampaignRead {
  id: string;
  invokeAt: number;
  completeAt: number;
  spent: bigint;
  reserved: bigint;
  budget: bigint;
  impressions: number;
  clicks: number;
}

export interface AdState {
  /** Dedicated accounts (not in `actors`, so the ledger model stays exact). */
  advertisers: Actor[];
  publishers: Actor[];
  /** A few keywords per run: every campaign targets one, every auction asks for one. */
  keywords: string[];
  campaigns: { id: string; advertiser: string; budget: bigint; keyword: string }[];
  wins: AdWin[];
  reads: CampaignRead[];
  /** Auctions answered (200 or 204), for the summary. */
  auctions: number;
}

export interface TrafficOp {
  name: string;
  weight: number;
  run(s: TrafficState): Promise<OpRecord | null>;
}

const pick = <T>(s: TrafficState, xs: readonly T[]): T => xs[Math.floor(s.rand() * xs.length)]!;
const RETRYABLE = new Set([429, 500, 502, 503]);
export const MAX_ATTEMPTS = 6;

/**
 * Calls until a non-retryable answer (a client retrying the same request: idempotent by id),
 * waiting as Retry-After asks, capped at `capMs` (a patient client, but a bounded run).
 */
export async function withRetry(fn: () => Promise<Reply>, capMs = 250): Promise<{ r: Reply; attempts: number }> {
  let r = await fn();
  let attempts = 1;
  while (RETRYABLE.has(r.status) && attempts < MAX_ATTEMPTS) {
    const asked = Number(r.headers.get("retry-after") ?? "0") * 1000;
    await new Promise((res) => setTimeout(res, Math.min(capMs, Number.isFinite(asked) ? asked : 0)));
    r = await fn();
    attempts++;
  }
  return { r, attempts };
}

let nonceN = 0;
async function event(s: TrafficState, who: Actor, kind: string, body: Record<string, unknown>) {
  const ev = await signEvent({ v: 1, kind, author: who.did, nonce: `t${s.tag}${(nonceN++).toString(36)}`, createdAt: new Date().toISOString(), body }, who.privateKey);
  return { ev, id: await eventIdOf(ev) };
}

async function submitEvent(s: TrafficState, kind: string, ev: unknown, id: string, extra: Partial<OpRecord> = {}): Promise<OpRecord> {
  const { r, attempts } = await withRetry(() => s.call("POST", "/v1/events", { body: ev }));
  return { kind, id, status: r.status, accepted: r.status === 200 || r.status === 202, attempts, ...extra };
}

const words = ["river", "lantern", "orbit", "meadow", "cobalt", "harbor", "sparrow", "quartz", "ember", "willow"];

export const TRAFFIC: TrafficOp[] = [
  {
    name: "post",
    weight: 3,
    async run(s) {
      const who = pick(s, s.actors);
      const token = `p${s.tag}x${(s.seq++).toString(36)}`;
      const { ev, id } = await event(s, who, "content.post", { title: `${pick(s, words)} ${s.tag}`, text: `${pick(s, words)} ${token} ${s.tag}`, tags: ["chaos"] });
      const rec = await submitEvent(s, "post", ev, id, { post: { token } });
      if (rec.accepted) s.posts.push({ id, author: who });
      return rec;
    },
  },
  {
    name: "view",
    weight: 3,
    async run(s) {
      if (s.posts.length === 0) return null;
      const target = pick(s, s.posts).id;
      const { ev, id } = await event(s, pick(s, s.actors), "interaction.view", { target });
      return submitEvent(s, "view", ev, id, { view: { target } });
    },
  },
  {
    name: "like",
    weight: 2,
    async run(s) {
      if (s.posts.length === 0) return null;
      const { ev, id } = await event(s, pick(s, s.actors), "interaction.like", { target: pick(s, s.posts).id });
      return submitEvent(s, "like", ev, id);
    },
  },
  {
    name: "delete",
    weight: 1,
    async run(s) {
      if (s.posts.length < 4) return null;
      const p = pick(s, s.posts);
      const { ev, id } = await event(s, p.author, "content.delete", { target: p.id });
      return submitEvent(s, "delete", ev, id);
    },
  },
  {
    name: "transfer",
    weight: 4,
    async run(s) {
      const from = pick(s, s.actors);
      const to = pick(s, s.actors);
      // Mostly affordable, sometimes not (insufficient_balance must fail, deterministically).
      const amount = BigInt(1 + Math.floor(s.rand() * (s.rand() < 0.1 ? 5_000_000 : 20_000)));
      const { ev, id } = await event(s, from, "ledger.transfer", { to: to.did, amount: String(amount) });
      const prepared: Prepared = { op: { t: "transfer", from: 0, to: 0, amount: 0 }, kind: "transfer", event: ev, id, author: from.did, to: to.did, amount };
      return submitEvent(s, "transfer", ev, id, { prepared });
    },
  },
  {
    name: "escrow.create",
    weight: 2,
    async run(s) {
      const from = pick(s, s.actors);
      const to = pick(s, s.actors.filter((a) => a !== from));
      const amount = BigInt(1 + Math.floor(s.rand() * 10_000));
      const { ev, id } = await event(s, from, "contract.call", { contract: "escrow", version: 1, method: "create", args: { beneficiary: to.did, amount: String(amount) } });
      const prepared: Prepared = { op: { t: "create", from: 0, to: 0, amount: 0 }, kind: "create", event: ev, id, author: from.did, to: to.did, amount };
      const rec = await submitEvent(s, "escrow.create", ev, id, { prepared });
      if (rec.accepted) s.escrows.push({ id, from, to, closed: false });
      return rec;
    },
  },
  {
    name: "escrow.close",
    weight: 2,
    async run(s) {
      const open = s.escrows.filter((e) => !e.closed);
      if (open.length === 0) return null;
      const e = pick(s, open);
      e.closed = true; // at most one close per escrow from this client (others would fail contract_closed)
      const release = s.rand() < 0.5;
      const who = release ? e.from : e.to;
      const { ev, id } = await event(s, who, "contract.call", { contract: "escrow", version: 1, method: release ? "release" : "refund", args: {}, instance: e.id });
      const prepared: Prepared = { op: { t: release ? "release" : "refund", escrow: 0 }, kind: release ? "release" : "refund", event: ev, id, author: who.did, instance: e.id };
      return submitEvent(s, release ? "escrow.release" : "escrow.refund", ev, id, { prepared });
    },
  },
  {
    name: "chunk",
    weight: 1,
    async run(s) {
      const who = pick(s, s.actors);
      const bytes = new Uint8Array(1 + Math.floor(s.rand() * 12_000));
      crypto.getRandomValues(bytes);
      const sha256 = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
      const { r, attempts } = await withRetry(async () => {
        const authorization = await requestAuthHeader(who.did, who.privateKey, "PUT", "/v1/chunks", bytes);
        return s.call("PUT", "/v1/chunks", { raw: bytes, headers: { authorization } });
      });
      const accepted = r.status === 200 || r.status === 201;
      if (accepted) s.chunks.push({ cid: r.body.cid });
      return { kind: "chunk", status: r.status, accepted, attempts, ...(accepted ? { chunk: { cid: r.body.cid as string, sha256 } } : {}) };
    },
  },
  // Ad marketplace (DESIGN §7): campaigns with small budgets (so they run out under load),
  // auctions signed by a publisher, impressions and clicks with the token (duplicates too),
  // campaign reads (observed spent/reserved for the overspend and monotonicity checks).
  {
    name: "campaign.create",
    weight: 1,
    async run(s) {
      const a = s.ads;
      if (!a || a.campaigns.length >= 12) return null;
      const who = pick(s, a.advertisers);
      const keyword = pick(s, a.keywords);
      const cpc = s.rand() < 0.3;
      const budget = BigInt(20 + Math.floor(s.rand() * 150));
      const bid = cpc ? String(20 + Math.floor(s.rand() * 40)) : String(3000 + Math.floor(s.rand() * 3000));
      const { ev, id } = await event(s, who, "campaign.create", {
        name: `chaos ${keyword}`,
        bid: { model: cpc ? "cpc" : "cpm", amount: bid },
        budget: String(budget),
        targeting: { keywords: [keyword] },
        creative: { title: "chaos", text: "an ad", url: "https://example.com/chaos" },
      });
      const rec = await submitEvent(s, "campaign.create", ev, id);
      if (rec.accepted) a.campaigns.push({ id, advertiser: who.did, budget, keyword });
      return rec;
    },
  },
  {
    name: "ad.auction",
    weight: 4,
    async run(s) {
      const a = s.ads;
      if (!a || a.campaigns.length === 0) return null;
      const pub = pick(s, a.publishers);
      const body = utf8(JSON.stringify({ placement: `slot-${Math.floor(s.rand() * 4)}`, publisher: pub.did, context: { keywords: [pick(s, a.keywords)] }, ...(s.rand() < 0.5 ? { floor: "2999" } : {}) }));
      const { r, attempts } = await withRetry(async () => {
        const authorization = await requestAuthHeader(pub.did, pub.privateKey, "POST", "/v1/ads/auction", body);
        return s.call("POST", "/v1/ads/auction", { raw: body, headers: { authorization, "content-type": "application/json" } });
      });
      if (r.status === 200 || r.status === 204) a.auctions++;
      if (r.status === 200) {
        a.wins.push({ auctionId: r.body.auctionId, campaignId: r.body.campaignId, model: r.body.model, price: BigInt(r.body.price), token: r.body.token, publisher: pub.did, impression: false, click: false, sent: 0 });
      }
      return { kind: "ad.auction", status: r.status, accepted: r.status === 200 || r.status === 204, attempts };
    },
  },
  {
    name: "ad.event",
    weight: 4,
    async run(s) {
      const a = s.ads;
      if (!a || a.wins.length === 0) return null;
      // Mostly recent wins; an impression first, then maybe a click; repeats are duplicates.
      const w = a.wins[a.wins.length - 1 - Math.floor(s.rand() * Math.min(a.wins.length, 20))]!;
      const type = !w.impression || s.rand() < 0.3 ? "impression" : "click";
      const copies = s.rand() < 0.3 ? 2 : 1;
      const rs = await Promise.all(Array.from({ length: copies }, () => withRetry(() => s.call("POST", "/v1/ads/events", { body: { token: w.token, type } }))));
      w.sent += copies;
      const ok = rs.some(({ r }) => r.status === 202);
      if (ok && type === "impression") w.impression = true;
      if (ok && type === "click") w.click = true;
      const last = rs[rs.length - 1]!;
      return { kind: "ad.event", status: last.r.status, accepted: ok, attempts: Math.max(...rs.map((x) => x.attempts)) };
    },
  },
  {
    name: "campaign.read",
    weight: 1,
    async run(s) {
      const a = s.ads;
      if (!a || a.campaigns.length === 0) return null;
      const { id } = pick(s, a.campaigns);
      const invokeAt = Date.now();
      const { r, attempts } = await withRetry(() => s.call("GET", `/v1/campaigns/${id}`));
      if (r.status === 200) {
        a.reads.push({ id, invokeAt, completeAt: Date.now(), spent: BigInt(r.body.spent), reserved: BigInt(r.body.reserved), budget: BigInt(r.body.budget), impressions: r.body.impressions, clicks: r.body.clicks });
      }
      // 404: the campaign's event is not applied yet.
      return { kind: "campaign.read", status: r.status, accepted: r.status === 200 || r.status === 404, attempts };
    },
  },
  // Proof of Engagement: likes by pre-trusted curators on dedicated creators' posts (repeats
  // of a pair count zero); their weights are checked when the epoch is closed after the run.
  {
    name: "poe.like",
    weight: 2,
    async run(s) {
      const p = s.poe;
      if (!p || p.posts.length === 0) return null;
      const who = pick(s, p.curators);
      const target = pick(s, p.posts);
      const { ev, id } = await event(s, who, "interaction.like", { target });
      return submitEvent(s, "poe.like", ev, id, { like: { engager: who.did, target } });
    },
  },
  // Later: DHT lookups.
];

const utf8 = (x: string) => new TextEncoder().encode(x);

export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Picks an operation by weight and runs it. */
export async function runOne(s: TrafficState, ops: readonly TrafficOp[] = TRAFFIC): Promise<OpRecord | null> {
  const total = ops.reduce((n, o) => n + o.weight, 0);
  let x = s.rand() * total;
  for (const o of ops) {
    x -= o.weight;
    if (x < 0) return o.run(s);
  }
  return ops[ops.length - 1]!.run(s);
}

/** A small deterministic PRNG (mulberry32), so a chaos run can be replayed by its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
