// DhtNode: one hosted Kademlia node (`dht-0` is the seed, `dht-1…`). It owns its Ed25519
// identity (node ID = sha256 of its DID), its routing table (k = 20 contacts per bucket, one
// bucket per common-prefix length, least-recently-seen first, a full bucket pings its oldest
// contact before evicting it), its provider-record store and its timers (one DO alarm driven by
// a timer table: bucket refresh, record replication, record expiry). It answers the four RPCs
// (PING, FIND_NODE, FIND_VALUE, STORE) with a per-peer token bucket and in-flight bound, and
// runs iterative lookups (α = 3 parallel queries, per-query timeout). Hosted nodes call each
// other through the DHT_NODE binding (the `hosted` directory maps node ID → DO name); external
// peers are called over HTTP at their validated `addr`.
//
// Concurrency (DESIGN §10): every table change is synchronous SQLite work between awaits; the
// awaits are on other nodes' answers, and what comes back is applied afresh (a contact's row is
// re-read, never carried across the await).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import { ALPHA, K, bucketIndex, byDistance, hostedIdInAddr, keyIdOf, randomIdInBucket, verifyProviderRecord, xorHex, type ProviderRecord } from "../lib/dht";
import { DhtRpcResponse, type DhtRpcRequest } from "../schemas/dht";
import { HttpUrl } from "../schemas/primitives";
import { loadOrCreateIdentity } from "./identity";
import { migrate, one } from "./sqlite";
import { abortSelf } from "./fault-reset";
import { checkOutboundUrl } from "../lib/outbound";
import { readStreamLimited } from "../lib/stream";

const MIGRATIONS = [
  `CREATE TABLE identity (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), did TEXT NOT NULL, public_key BLOB NOT NULL, pkcs8 BLOB NOT NULL);
   CREATE TABLE node (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), name TEXT NOT NULL, node_id TEXT NOT NULL, did TEXT NOT NULL,
                      seed TEXT NOT NULL, joined INTEGER NOT NULL DEFAULT 0, provisioned INTEGER NOT NULL DEFAULT 0, origin TEXT);
   CREATE TABLE hosted (id TEXT PRIMARY KEY, name TEXT NOT NULL, did TEXT NOT NULL, idx INTEGER NOT NULL);
   CREATE TABLE contacts (id TEXT PRIMARY KEY, addr TEXT, bucket INTEGER NOT NULL, last_seen INTEGER NOT NULL, fails INTEGER NOT NULL DEFAULT 0);
   CREATE INDEX contacts_by_bucket ON contacts (bucket, last_seen);
   CREATE TABLE replacements (id TEXT PRIMARY KEY, addr TEXT, bucket INTEGER NOT NULL, seen INTEGER NOT NULL);
   CREATE TABLE records (key_id TEXT NOT NULL, key TEXT NOT NULL, provider TEXT NOT NULL, addr TEXT, expires_at INTEGER NOT NULL,
                         expires_iso TEXT NOT NULL, sig TEXT NOT NULL, PRIMARY KEY (key_id, provider));
   CREATE INDEX records_by_expiry ON records (expires_at);
   CREATE TABLE timers (name TEXT PRIMARY KEY, due INTEGER NOT NULL);
   CREATE TABLE bucket_refresh (bucket INTEGER PRIMARY KEY, at INTEGER NOT NULL);`,
];

/** A routing-table row as DhtNode mirrors it in memory. */
interface MirroredContact {
  addr: string | null;
  bucket: number;
  lastSeen: number;
  fails: number;
}

/** A contact: hosted nodes have no addr (reached by binding); external ones always have one. */
export interface Contact {
  id: string;
  addr?: string;
}
export interface HostedEntry {
  id: string;
  did: string;
  name: string;
  idx: number;
}
export interface LookupResult {
  target: string;
  nodes: Contact[];
  hops: number;
  queried: number;
}
export type RpcOutcome =
  | { ok: true; res: DhtRpcResponse }
  | { ok: false; code: "rate_limited"; retryAfter: number; detail: string }
  | { ok: false; code: "validation_failed" | "invalid_signature" | "insufficient_storage" | "not_found"; detail: string };

type QueryResult = { ok: true; res: DhtRpcResponse } | { ok: false; dead: boolean };

const MAX_FAILS = 2;
const MAX_ROUNDS = 32;
const MAX_PROVIDERS_PER_KEY = 64;
const PEER_TABLE_MAX = 4096;
const RESPONSE_MAX_BYTES = 256 * 1024;
/** A full bucket's oldest contact seen this recently is alive: no PING needed. */
const FRESH_MS = 10_000;
const REPLICATE_KEYS_PER_TICK = 256;
const PUBLISH_CONCURRENCY = 4;
/** last_seen of a known contact is written at most this often. */
const SEEN_WRITE_MS = 1000;
/** A publishing lookup's answer serves the same key for this long (the replicas of one chunk). */
const PUBLISH_LOOKUP_REUSE_MS = 10_000;
const PUBLISH_LOOKUPS_MAX = 4096;
/** publish() calls arriving within this long of each other are sent together. */
const PUBLISH_GATHER_MS = 250;
const JOIN_WAVE = 8;

const stats = { queries: 0, lookups: 0 };
export const dhtNodeName = (i: number) => `dht-${i}`;
export const SEED = dhtNodeName(0);

export class DhtNode extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private self: { id: string; did: string; name: string; seed: string } | null = null;
  private hosted = new Map<string, string>(); // node ID → DO name
  private readonly peers = new Map<string, { tokens: number; at: number }>();
  private readonly inflight = new Map<string, number>();
  private readonly pinging = new Set<number>();
  /**
   * In-memory mirror of the contacts table (id → addr, bucket) and bucket sizes, loaded on first
   * use and changed only together with the table (same synchronous step): every RPC sorts the
   * table and every reply names up to k nodes, and the per-contact SQL lookups that answered
   * "known? how full is its bucket?" dominated the DHT's CPU profile.
   */
  private table: Map<string, MirroredContact> | null = null;
  private readonly bucketSizes = new Map<number, number>();
  /** Records of the publish() calls being gathered, and the promise of their joint result. */
  private gathering: { records: ProviderRecord[]; result: Promise<{ keys: number; stores: number }> } | null = null;
  private readonly publishLookups = new Map<string, { at: number; p: Promise<Contact[]> }>();
  /** Cached facts about the records table: row count (null = unknown), earliest expiry (undefined = unknown, null = none), the "expire" timer's due time (null = unknown). */
  private recordCount: number | null = null;
  private minExpiry: number | null | undefined = undefined;
  private expireDue: number | null = null;
  private provisioning: Promise<HostedEntry[]> | null = null;
  private joining: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql, MIGRATIONS);
      this.loadSelf();
    });
  }

  private loadSelf(): void {
    const row = one(this.sql.exec<{ name: string; node_id: string; did: string; seed: string }>("SELECT name, node_id, did, seed FROM node"));
    if (row) this.self = { id: row.node_id, did: row.did, name: row.name, seed: row.seed };
    this.hosted = new Map(this.sql.exec<{ id: string; name: string }>("SELECT id, name FROM hosted").toArray().map((r) => [r.id, r.name]));
  }

  // ------------------------------------------------------------------ provisioning

  /** Creates this node's identity once (idempotent): → its node ID and DID. */
  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }

  async init(name: string, seed: string): Promise<HostedEntry> {
    if (!this.self) {
      await this.ctx.blockConcurrencyWhile(async () => {
        if (this.self) return;
        const { did } = await loadOrCreateIdentity(this.sql);
        const id = keyIdOf(did);
        this.sql.exec("INSERT OR IGNORE INTO node (singleton, name, node_id, did, seed) VALUES (1, ?, ?, ?, ?)", name, id, did, seed);
        this.loadSelf();
      });
    }
    const s = this.self!;
    return { id: s.id, did: s.did, name: s.name, idx: Number(s.name.slice(4)) };
  }

  /** The hosted directory: how to reach hosted node IDs through the binding (idempotent). */
  async setDirectory(entries: HostedEntry[]): Promise<void> {
    for (const e of entries) this.sql.exec("INSERT OR REPLACE INTO hosted (id, name, did, idx) VALUES (?, ?, ?, ?)", e.id, e.name, e.did, e.idx);
    this.loadSelf();
  }

  /**
   * Seed only: provisions dht-0 … dht-(n-1) from configuration (idempotent; concurrent callers
   * share one run): identities, the directory, then joins in waves, each through the seed.
   */
  async provision(n: number): Promise<HostedEntry[]> {
    const done = one(this.sql.exec<{ provisioned: number }>("SELECT provisioned FROM node"));
    if (done && done.provisioned === n) return this.directory();
    this.provisioning ??= this.runProvision(n).finally(() => (this.provisioning = null));
    return this.provisioning;
  }

  private async runProvision(n: number): Promise<HostedEntry[]> {
    const names = Array.from({ length: n }, (_, i) => dhtNodeName(i));
    await this.init(SEED, SEED);
    const entries = await Promise.all(names.map((name) => (name === SEED ? this.init(SEED, SEED) : this.stub(name).init(name, SEED))));
    await this.setDirectory(entries);
    await Promise.all(names.slice(1).map((name) => this.stub(name).setDirectory(entries)));
    await this.join();
    const t0 = Date.now();
    for (let i = 1; i < n; i += JOIN_WAVE) await Promise.all(names.slice(i, i + JOIN_WAVE).map((name) => this.stub(name).join()));
    console.log(`dht: provisioned ${n} nodes in ${Date.now() - t0} ms (${stats.lookups} lookups, ${stats.queries} queries in this isolate)`);
    this.sql.exec("UPDATE node SET provisioned = ?", n);
    return this.directory();
  }

  async directory(): Promise<HostedEntry[]> {
    return this.sql.exec<{ id: string; did: string; name: string; idx: number }>("SELECT id, did, name, idx FROM hosted ORDER BY idx").toArray().map((r) => ({ ...r }));
  }

  /** Joins through the seed: a lookup of its own ID, then a refresh of every farther bucket. */
  async join(): Promise<void> {
    this.joining ??= this.runJoin().finally(() => (this.joining = null));
    return this.joining;
  }

  private async runJoin(): Promise<void> {
    const s = this.requireSelf();
    if (one(this.sql.exec<{ joined: number }>("SELECT joined FROM node"))?.joined === 1) return;
    if (s.name !== s.seed) {
      const seedId = [...this.hosted].find(([, name]) => name === s.seed)?.[0];
      if (seedId) this.see({ id: seedId }, Date.now());
      await this.iterativeLookup(s.id);
      // Refresh the buckets farther than the nearest neighbour that the self-lookup left empty.
      const nearest = one(this.sql.exec<{ b: number | null }>("SELECT MAX(bucket) AS b FROM contacts"))?.b ?? 0;
      const filled = new Set(this.sql.exec<{ bucket: number }>("SELECT DISTINCT bucket FROM contacts").toArray().map((r) => r.bucket));
      const buckets = Array.from({ length: nearest ?? 0 }, (_, b) => b).filter((b) => !filled.has(b));
      for (let i = 0; i < buckets.length; i += ALPHA) {
        await Promise.all(buckets.slice(i, i + ALPHA).map((b) => this.refreshBucket(b)));
      }
    }
    this.sql.exec("UPDATE node SET joined = 1");
    const now = Date.now();
    const period = getConfig(this.env).DHT_REFRESH_MS;
    this.setTimer("refresh", now + period);
    this.setTimer("replicate", now + period);
    await this.armAlarm();
  }

  // ------------------------------------------------------------------ the RPC

  /**
   * Answers one RPC from `peer` (`ip:<addr>` for HTTP callers, `node:<id>` for hosted nodes).
   * `origin` is this deployment's public origin as the HTTP route saw it (for our own addr).
   */
  async rpc(peer: string, req: DhtRpcRequest, hostedCaller = false, origin?: string): Promise<RpcOutcome> {
    const s = this.requireSelf();
    if (origin) this.learnOrigin(origin);
    const config = getConfig(this.env);
    const now = Date.now();
    if (!hostedCaller) {
      const limited = this.admit(peer, now, config.DHT_PEER_RPS, config.DHT_PEER_BURST);
      if (limited !== null) return { ok: false, code: "rate_limited", retryAfter: limited, detail: `more than ${config.DHT_PEER_RPS} RPCs per second from this peer` };
    }
    const from = this.sanitize(req.from);
    switch (req.op) {
      case "PING":
        if (from) this.see(from, now);
        return { ok: true, res: { id: s.id } };
      case "FIND_NODE":
        if (from) this.see(from, now);
        return { ok: true, res: { id: s.id, nodes: this.closest(req.target, K, req.from.id) } };
      case "FIND_VALUE": {
        if (from) this.see(from, now);
        const keyId = keyIdOf(req.key);
        return { ok: true, res: { id: s.id, records: this.recordsFor(keyId, now), nodes: this.closest(keyId, K, req.from.id) } };
      }
      case "STORE": {
        const n = this.inflight.get(peer) ?? 0;
        if (n >= config.DHT_PEER_MAX_INFLIGHT) return { ok: false, code: "rate_limited", retryAfter: 1, detail: `more than ${config.DHT_PEER_MAX_INFLIGHT} STOREs in flight from this peer` };
        this.inflight.set(peer, n + 1);
        try {
          const checked = await this.checkRecord(req.record, Date.now());
          if (checked) return checked;
        } finally {
          const left = (this.inflight.get(peer) ?? 1) - 1;
          if (left <= 0) this.inflight.delete(peer);
          else this.inflight.set(peer, left);
        }
        // Verified: now the synchronous write (nothing read before the await is reused).
        const at = Date.now();
        if (from) this.see(from, at);
        if (this.storeRecord(req.record, at) === "full") return { ok: false, code: "insufficient_storage", detail: "this node's record store is full" };
        await this.armAlarm();
        return { ok: true, res: { id: s.id, stored: true } };
      }
    }
  }

  /**
   * STORE batched per target, from hosted nodes only (DO RPC is not reachable from outside the
   * deployment; peers STORE over HTTP, verified in `rpc`). The sender verified each record's
   * signature once (`publishNow`) or holds it verified, and every lookup that returns a record
   * verifies it again, so the k targets check expiry bounds here, not the signature.
   */
  async storeMany(from: Contact, records: ProviderRecord[]): Promise<{ stored: number }> {
    const checks = await Promise.all(records.map((r) => this.checkRecord(r, Date.now(), false)));
    const now = Date.now();
    const f = this.sanitize(from);
    if (f) this.see(f, now);
    let stored = 0;
    records.forEach((r, i) => {
      if (checks[i] === null && this.storeRecord(r, now) === "stored") stored++;
    });
    await this.armAlarm();
    return { stored };
  }

  // ------------------------------------------------------------------ lookups

  async lookup(target: string, origin?: string): Promise<LookupResult> {
    if (origin) this.learnOrigin(origin);
    const r = await this.iterativeLookup(target);
    return { target, nodes: r.nodes, hops: r.hops, queried: r.queried };
  }

  async providers(key: string, origin?: string): Promise<{ key: string; providers: ProviderRecord[]; hops: number }> {
    if (origin) this.learnOrigin(origin);
    const r = await this.iterativeLookup(keyIdOf(key), key);
    const found = [...r.records.values()].filter((x) => x.key === key);
    const valid = await Promise.all(found.map((x) => verifyProviderRecord(x)));
    const providers = found.filter((_, i) => valid[i]).sort((a, b) => (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0));
    return { key, providers, hops: r.hops };
  }

  /**
   * Publishes provider records: calls within PUBLISH_GATHER_MS are gathered (the storage nodes
   * of one window publish together), then per key a lookup of its k closest nodes and one STORE
   * per target node for everything it should hold. The result counts the whole gathered batch.
   */
  async publish(records: ProviderRecord[]): Promise<{ keys: number; stores: number }> {
    this.requireSelf();
    if (!this.gathering) {
      const all: ProviderRecord[] = [];
      const result = new Promise<void>((resolve) => setTimeout(resolve, PUBLISH_GATHER_MS)).then(() => {
        this.gathering = null;
        return this.publishNow(all);
      });
      this.gathering = { records: all, result };
    }
    this.gathering.records.push(...records);
    return this.gathering.result;
  }

  private async publishNow(gathered: ProviderRecord[]): Promise<{ keys: number; stores: number }> {
    // Verified once here for all k targets (storeMany trusts its hosted callers).
    const valid = await Promise.all(gathered.map((r) => verifyProviderRecord(r)));
    const records = gathered.filter((_, i) => valid[i]);
    if (records.length < gathered.length) console.warn(`dht publish: ${gathered.length - records.length} record(s) with a bad signature dropped`);
    const byKey = new Map<string, ProviderRecord[]>();
    for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    const batches = new Map<string, { contact: Contact; records: ProviderRecord[] }>();
    const keys = [...byKey.keys()];
    for (let i = 0; i < keys.length; i += PUBLISH_CONCURRENCY) {
      const found = await Promise.all(keys.slice(i, i + PUBLISH_CONCURRENCY).map((k) => this.publishLookup(keyIdOf(k))));
      found.forEach((nodes, j) => {
        for (const c of nodes) {
          const b = batches.get(c.id) ?? { contact: c, records: [] };
          b.records.push(...byKey.get(keys[i + j]!)!);
          batches.set(c.id, b);
        }
      });
    }
    return { keys: keys.length, stores: await this.sendBatches([...batches.values()]) };
  }

  /**
   * The k closest to a key for publishing, shared for PUBLISH_LOOKUP_REUSE_MS: every replica of a
   * chunk is published (by its own storage node, routed here by the key) within moments of the
   * others, and one lookup serves them all (the in-flight one included).
   */
  private publishLookup(keyId: string): Promise<Contact[]> {
    const now = Date.now();
    const hit = this.publishLookups.get(keyId);
    if (hit && now - hit.at < PUBLISH_LOOKUP_REUSE_MS) return hit.p;
    if (this.publishLookups.size >= PUBLISH_LOOKUPS_MAX) {
      for (const [k, v] of this.publishLookups) if (now - v.at >= PUBLISH_LOOKUP_REUSE_MS) this.publishLookups.delete(k);
      if (this.publishLookups.size >= PUBLISH_LOOKUPS_MAX) this.publishLookups.clear();
    }
    const p = this.iterativeLookup(keyId).then((r) => r.nodes);
    p.catch(() => this.publishLookups.delete(keyId));
    this.publishLookups.set(keyId, { at: now, p });
    return p;
  }

  private async sendBatches(batches: { contact: Contact; records: ProviderRecord[] }[]): Promise<number> {
    const me = this.selfContact();
    const timeout = getConfig(this.env).DHT_RPC_TIMEOUT_MS;
    const sent = await Promise.all(
      batches.map(async ({ contact, records }) => {
        if (contact.id === me.id) return (await this.storeMany(me, records)).stored;
        const name = this.hosted.get(contact.id);
        if (name) {
          try {
            return (await withTimeout(this.stub(name).storeMany({ id: me.id }, records), timeout)).stored;
          } catch {
            return 0;
          }
        }
        const results = await Promise.all(records.map((record) => this.query(contact, { op: "STORE", from: me, record })));
        return results.filter((r) => r.ok).length;
      }),
    );
    return sent.reduce((a, b) => a + b, 0);
  }

  private async iterativeLookup(target: string, findKey?: string): Promise<{ nodes: Contact[]; hops: number; queried: number; records: Map<string, ProviderRecord> }> {
    const s = this.requireSelf();
    stats.lookups++;
    const me = this.selfContact();
    interface Entry {
      c: Contact;
      d: string;
      state: "new" | "done" | "failed";
    }
    const entries = new Map<string, Entry>();
    const add = (c: Contact) => {
      if (!entries.has(c.id) && entries.size < 8 * K) entries.set(c.id, { c, d: xorHex(target, c.id), state: "new" });
    };
    entries.set(s.id, { c: { id: s.id }, d: xorHex(target, s.id), state: "done" });
    for (const c of this.closest(target, K)) add(c);
    const records = new Map<string, ProviderRecord>();
    const collect = (list: ProviderRecord[] | undefined) => {
      for (const r of list ?? []) {
        const prev = records.get(r.provider);
        if (!prev || prev.expiresAt < r.expiresAt) records.set(r.provider, r);
      }
    };
    const now0 = Date.now();
    if (findKey) collect(this.recordsFor(keyIdOf(findKey), now0));
    const bucket = bucketIndex(s.id, target);
    if (bucket >= 0) this.sql.exec("INSERT OR REPLACE INTO bucket_refresh (bucket, at) VALUES (?, ?)", bucket, now0);

    const live = () => [...entries.values()].filter((e) => e.state !== "failed").sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : 0));
    let best = live()[0]!.d;
    let improved = true;
    let hops = 0;
    let queried = 0;
    const req: DhtRpcRequest = findKey ? { op: "FIND_VALUE", from: me, key: findKey } : { op: "FIND_NODE", from: me, target };
    while (hops < MAX_ROUNDS) {
      const pending = live()
        .slice(0, K)
        .filter((e) => e.state === "new");
      if (pending.length === 0) break;
      const batch = improved ? pending.slice(0, ALPHA) : pending;
      hops++;
      queried += batch.length;
      const results = await Promise.all(batch.map((e) => this.query(e.c, req)));
      const now = Date.now();
      batch.forEach((e, i) => {
        const r = results[i]!;
        if (!r.ok) {
          e.state = "failed";
          if (r.dead) this.failed(e.c);
          return;
        }
        e.state = "done";
        this.see(e.c, now);
        for (const n of r.res.nodes ?? []) {
          const c = this.sanitize(n);
          if (!c) continue;
          add(c);
          // Hearsay about a hosted node (a member of this deployment) fills an empty slot.
          if (!c.addr) this.hearsay(c);
        }
        if (findKey) collect(r.res.records?.filter((x) => x.key === findKey && Date.parse(x.expiresAt) > now));
      });
      const nowBest = live()[0]!.d;
      improved = nowBest < best;
      if (improved) best = nowBest;
    }
    const nodes = live()
      .slice(0, K)
      .map((e) => e.c);
    return { nodes, hops, queried, records };
  }

  private async refreshBucket(bucket: number): Promise<void> {
    const s = this.requireSelf();
    await this.iterativeLookup(randomIdInBucket(s.id, bucket));
    this.sql.exec("INSERT OR REPLACE INTO bucket_refresh (bucket, at) VALUES (?, ?)", bucket, Date.now());
  }

  // ------------------------------------------------------------------ outbound calls

  /** One RPC to a contact: hosted by binding, external by HTTP POST to its addr; both time out. */
  private async query(c: Contact, req: DhtRpcRequest): Promise<QueryResult> {
    stats.queries++;
    const s = this.requireSelf();
    const timeout = getConfig(this.env).DHT_RPC_TIMEOUT_MS;
    const name = this.hosted.get(c.id);
    if (name) {
      try {
        const r = (await withTimeout<RpcOutcome>(this.stub(name).rpc(`node:${s.id}`, req, true) as Promise<RpcOutcome>, timeout));
        return r.ok ? { ok: true, res: r.res } : { ok: false, dead: false };
      } catch {
        // A hosted node is part of this deployment: a slow or failed call is load, not death.
        return { ok: false, dead: false };
      }
    }
    if (!c.addr || !HttpUrl.safeParse(c.addr).success || hostedIdInAddr(c.addr)) return { ok: false, dead: true };
    // Outbound calls only to validated addresses: no loopback/private/link-local targets, unless
    // this deployment allows them (local networks of peers: DHT_ALLOW_PRIVATE_ADDRS=1).
    const target = checkOutboundUrl(c.addr, { allowPrivate: getConfig(this.env).DHT_ALLOW_PRIVATE_ADDRS === "1" });
    if (!target.ok) return { ok: false, dead: true };
    try {
      const res = await fetch(target.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(req),
        signal: AbortSignal.timeout(timeout),
      });
      if (res.status !== 200) {
        await res.body?.cancel();
        // A peer that answers (e.g. 429) is alive, just not helpful now.
        return { ok: false, dead: res.status >= 500 };
      }
      const text = await readText(res, RESPONSE_MAX_BYTES);
      const parsed = DhtRpcResponse.safeParse(JSON.parse(text));
      if (!parsed.success || parsed.data.id !== c.id) return { ok: false, dead: false };
      return { ok: true, res: parsed.data };
    } catch {
      return { ok: false, dead: true };
    }
  }

  // ------------------------------------------------------------------ routing table

  /** A contact as we may store it: hosted IDs lose any addr; others need a validated addr. */
  private sanitize(c: { id: string; addr?: string | undefined }): Contact | null {
    if (this.self && c.id === this.self.id) return null;
    if (this.hosted.has(c.id)) return { id: c.id };
    if (!c.addr || !HttpUrl.safeParse(c.addr).success || hostedIdInAddr(c.addr) !== null) return null;
    return { id: c.id, addr: c.addr };
  }

  private contactTable(): Map<string, MirroredContact> {
    if (!this.table) {
      this.table = new Map();
      this.bucketSizes.clear();
      for (const r of this.sql.exec<{ id: string; addr: string | null; bucket: number; last_seen: number; fails: number }>("SELECT id, addr, bucket, last_seen, fails FROM contacts")) {
        this.table.set(r.id, { addr: r.addr, bucket: r.bucket, lastSeen: r.last_seen, fails: r.fails });
        this.bucketSizes.set(r.bucket, (this.bucketSizes.get(r.bucket) ?? 0) + 1);
      }
    }
    return this.table;
  }

  private insertContact(id: string, addr: string | null, bucket: number, lastSeen: number): void {
    const table = this.contactTable();
    if (table.has(id)) return;
    this.sql.exec("INSERT OR IGNORE INTO contacts (id, addr, bucket, last_seen, fails) VALUES (?, ?, ?, ?, 0)", id, addr, bucket, lastSeen);
    table.set(id, { addr, bucket, lastSeen, fails: 0 });
    this.bucketSizes.set(bucket, (this.bucketSizes.get(bucket) ?? 0) + 1);
  }

  /** A known contact answered: last_seen = now, fails = 0, and its addr if one is given (table and mirror). */
  private touchContact(id: string, now: number, addr: string | null): void {
    this.sql.exec("UPDATE contacts SET last_seen = ?, fails = 0, addr = COALESCE(?, addr) WHERE id = ?", now, addr, id);
    const m = this.contactTable().get(id);
    if (!m) return;
    m.lastSeen = now;
    m.fails = 0;
    if (addr !== null) m.addr = addr;
  }

  private deleteContact(id: string): void {
    const table = this.contactTable();
    const c = table.get(id);
    this.sql.exec("DELETE FROM contacts WHERE id = ?", id);
    if (!c) return;
    table.delete(id);
    this.bucketSizes.set(c.bucket, (this.bucketSizes.get(c.bucket) ?? 1) - 1);
  }

  /** Kademlia's update rule for a node we heard from (synchronous). */
  private see(c: Contact, now: number): void {
    const s = this.requireSelf();
    if (c.id === s.id) return;
    const bucket = bucketIndex(s.id, c.id);
    const addr = this.hosted.has(c.id) ? null : (c.addr ?? null);
    const table = this.contactTable();
    const known = table.get(c.id);
    if (known) {
      // Heard from again: refresh last_seen, at most once per SEEN_WRITE_MS (LRS order needs no finer grain).
      if (now - known.lastSeen < SEEN_WRITE_MS && known.fails === 0 && (addr === null || addr === known.addr)) return;
      this.touchContact(c.id, now, addr);
      return;
    }
    if ((this.bucketSizes.get(bucket) ?? 0) < K) {
      this.insertContact(c.id, addr, bucket, now);
      this.sql.exec("DELETE FROM replacements WHERE id = ?", c.id);
      return;
    }
    // Full bucket: the newcomer waits in the (bounded) replacement cache; the oldest contact is
    // pinged and evicted only if it does not answer.
    this.sql.exec("INSERT OR REPLACE INTO replacements (id, addr, bucket, seen) VALUES (?, ?, ?, ?)", c.id, addr, bucket, now);
    this.sql.exec(
      "DELETE FROM replacements WHERE bucket = ? AND id NOT IN (SELECT id FROM replacements WHERE bucket = ? ORDER BY seen DESC LIMIT ?)",
      bucket,
      bucket,
      K,
    );
    const oldest = one(this.sql.exec<{ id: string; addr: string | null; last_seen: number }>("SELECT id, addr, last_seen FROM contacts WHERE bucket = ? ORDER BY last_seen LIMIT 1", bucket));
    if (oldest && now - oldest.last_seen > FRESH_MS && !this.pinging.has(bucket)) {
      this.pinging.add(bucket);
      this.ctx.waitUntil(this.pingOldest(bucket, oldest.id, oldest.addr).finally(() => this.pinging.delete(bucket)));
    }
  }

  /**
   * A hosted contact named in a reply (not heard from directly): it only fills free room, with
   * last_seen 0, so it is the first to be pinged when a direct newcomer finds the bucket full.
   */
  private hearsay(c: Contact): void {
    const s = this.requireSelf();
    if (c.id === s.id || this.contactTable().has(c.id)) return;
    const bucket = bucketIndex(s.id, c.id);
    if ((this.bucketSizes.get(bucket) ?? 0) < K) this.insertContact(c.id, null, bucket, 0);
  }

  private async pingOldest(bucket: number, id: string, addr: string | null): Promise<void> {
    const r = await this.query(addr ? { id, addr } : { id }, { op: "PING", from: this.selfContact() });
    if (r.ok) this.touchContact(id, Date.now(), null);
    else this.evict(id, bucket);
  }

  /** A failed query: the contact is evicted after MAX_FAILS consecutive failures. */
  private failed(c: Contact): void {
    const row = one(this.sql.exec<{ fails: number; bucket: number }>("UPDATE contacts SET fails = fails + 1 WHERE id = ? RETURNING fails, bucket", c.id));
    const m = this.contactTable().get(c.id);
    if (m && row) m.fails = row.fails;
    if (row && row.fails >= MAX_FAILS) this.evict(c.id, row.bucket);
  }

  private evict(id: string, bucket: number): void {
    this.deleteContact(id);
    if ((this.bucketSizes.get(bucket) ?? 0) >= K) return;
    const next = one(this.sql.exec<{ id: string; addr: string | null; seen: number }>("SELECT id, addr, seen FROM replacements WHERE bucket = ? ORDER BY seen DESC LIMIT 1", bucket));
    if (!next) return;
    this.sql.exec("DELETE FROM replacements WHERE id = ?", next.id);
    this.insertContact(next.id, next.addr, bucket, next.seen);
  }

  /** The n contacts closest to target (optionally without one id). */
  private closest(target: string, n: number, except?: string): Contact[] {
    const all: Contact[] = [];
    for (const [id, c] of this.contactTable()) if (id !== except) all.push(c.addr ? { id, addr: c.addr } : { id });
    return byDistance(target, all).slice(0, n);
  }

  // ------------------------------------------------------------------ records

  private async checkRecord(r: ProviderRecord, now: number, verifySignature = true): Promise<RpcOutcome | null> {
    const config = getConfig(this.env);
    const exp = Date.parse(r.expiresAt);
    if (!(exp > now)) return { ok: false, code: "validation_failed", detail: "record.expiresAt is not in the future" };
    if (exp > now + config.DHT_RECORD_TTL_MS + config.CLOCK_SKEW_MS) {
      return { ok: false, code: "validation_failed", detail: "record.expiresAt is more than DHT_RECORD_TTL_MS ahead" };
    }
    if (verifySignature && !(await verifyProviderRecord(r))) return { ok: false, code: "invalid_signature", detail: "record.sig does not verify under record.provider" };
    return null;
  }

  /** Inserts or refreshes (a later expiresAt wins) one verified record; bounded per key and per node. */
  private storeRecord(r: ProviderRecord, now: number): "stored" | "full" {
    const keyId = keyIdOf(r.key);
    const exp = Date.parse(r.expiresAt);
    if (this.minExpiry === undefined) this.minExpiry = one(this.sql.exec<{ e: number | null }>("SELECT MIN(expires_at) AS e FROM records"))?.e ?? null;
    if (this.minExpiry !== null && this.minExpiry <= now) this.dropExpired(now);
    // One read for both questions: this provider's current expiry, and how many providers the key has.
    const row = one(
      this.sql.exec<{ n: number; prev: number | null }>(
        "SELECT COUNT(*) AS n, MAX(CASE WHEN provider = ? THEN expires_at END) AS prev FROM records WHERE key_id = ?",
        r.provider,
        keyId,
      ),
    )!;
    if (row.prev !== null) {
      if (exp > row.prev) {
        this.sql.exec("UPDATE records SET expires_at = ?, expires_iso = ?, sig = ?, addr = ? WHERE key_id = ? AND provider = ?", exp, r.expiresAt, r.sig, r.addr ?? null, keyId, r.provider);
        this.minExpiry = undefined; // the old expiry may have been the minimum
      }
      this.expireTimerAt(exp);
      return "stored";
    }
    if (row.n >= MAX_PROVIDERS_PER_KEY) {
      const soonest = one(this.sql.exec<{ provider: string; expires_at: number }>("SELECT provider, expires_at FROM records WHERE key_id = ? ORDER BY expires_at LIMIT 1", keyId))!;
      if (soonest.expires_at >= exp) return "full";
      this.sql.exec("DELETE FROM records WHERE key_id = ? AND provider = ?", keyId, soonest.provider);
      this.recordCount = null;
      this.minExpiry = undefined;
    } else {
      this.recordCount ??= one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM records"))!.n;
      if (this.recordCount >= getConfig(this.env).DHT_MAX_RECORDS) return "full";
    }
    this.sql.exec(
      "INSERT INTO records (key_id, key, provider, addr, expires_at, expires_iso, sig) VALUES (?, ?, ?, ?, ?, ?, ?)",
      keyId,
      r.key,
      r.provider,
      r.addr ?? null,
      exp,
      r.expiresAt,
      r.sig,
    );
    if (this.recordCount !== null) this.recordCount++;
    if (this.minExpiry !== undefined && (this.minExpiry === null || exp < this.minExpiry)) this.minExpiry = exp;
    this.expireTimerAt(exp);
    return "stored";
  }

  /** Deletes expired records (and forgets the cached count and minimum). */
  private dropExpired(now: number): void {
    this.sql.exec("DELETE FROM records WHERE expires_at <= ?", now);
    this.recordCount = null;
    this.minExpiry = undefined;
  }

  /** The "expire" timer at `exp` unless it is already due earlier (one write per new minimum). */
  private expireTimerAt(exp: number): void {
    if (this.expireDue !== null && this.expireDue <= exp) return;
    this.expireDue = this.setTimerMin("expire", exp);
  }

  private recordsFor(keyId: string, now: number): ProviderRecord[] {
    return this.sql
      .exec<{ key: string; provider: string; addr: string | null; expires_iso: string; sig: string }>(
        "SELECT key, provider, addr, expires_iso, sig FROM records WHERE key_id = ? AND expires_at > ? ORDER BY provider LIMIT ?",
        keyId,
        now,
        MAX_PROVIDERS_PER_KEY,
      )
      .toArray()
      .map((r) => (r.addr ? { key: r.key, provider: r.provider, addr: r.addr, expiresAt: r.expires_iso, sig: r.sig } : { key: r.key, provider: r.provider, expiresAt: r.expires_iso, sig: r.sig }));
  }

  // ------------------------------------------------------------------ timers (one alarm)

  private setTimer(name: string, due: number): void {
    this.sql.exec("INSERT OR REPLACE INTO timers (name, due) VALUES (?, ?)", name, due);
  }

  /** Sets the timer to `due` unless it is already earlier; → the timer's due time now. */
  private setTimerMin(name: string, due: number): number {
    return one(
      this.sql.exec<{ due: number }>("INSERT INTO timers (name, due) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET due = MIN(due, excluded.due) RETURNING due", name, due),
    )!.due;
  }

  private async armAlarm(): Promise<void> {
    const next = one(this.sql.exec<{ due: number | null }>("SELECT MIN(due) AS due FROM timers"))?.due;
    if (next === null || next === undefined) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(next);
  }

  override async alarm(): Promise<void> {
    if (!this.self) return;
    const now = Date.now();
    const period = getConfig(this.env).DHT_REFRESH_MS;
    const due = this.sql.exec<{ name: string }>("SELECT name FROM timers WHERE due <= ?", now).toArray().map((r) => r.name);
    // Reschedule first, so a crash mid-task still leaves the next run armed.
    for (const name of due) {
      if (name === "expire") {
        this.sql.exec("DELETE FROM timers WHERE name = 'expire'");
        this.expireDue = null;
      }
      else this.setTimer(name, now + period);
    }
    await this.armAlarm();
    for (const name of due) {
      if (name === "expire") this.expire(now);
      else if (name === "refresh") await this.refresh(now, period);
      else if (name === "replicate") await this.replicate(now);
    }
    await this.armAlarm();
  }

  private expire(now: number): void {
    this.dropExpired(now);
    this.expireDue = null; // the alarm consumed the timer row (or will replace it below)
    const next = one(this.sql.exec<{ e: number | null }>("SELECT MIN(expires_at) AS e FROM records"))?.e;
    if (next !== null && next !== undefined) this.expireTimerAt(next);
  }

  /** Bucket refresh: a lookup of a random ID in every bucket up to the nearest one not looked up for a period. */
  private async refresh(now: number, period: number): Promise<void> {
    const s = this.requireSelf();
    const top = one(this.sql.exec<{ b: number | null }>("SELECT MAX(bucket) AS b FROM contacts"))?.b ?? 0;
    const fresh = new Set(this.sql.exec<{ bucket: number }>("SELECT bucket FROM bucket_refresh WHERE at > ?", now - period).toArray().map((r) => r.bucket));
    const stale = Array.from({ length: (top ?? 0) + 1 }, (_, b) => b).filter((b) => !fresh.has(b));
    for (let i = 0; i < stale.length; i += ALPHA) await Promise.all(stale.slice(i, i + ALPHA).map((b) => this.refreshBucket(b)));
    if (stale.length === 0 && top === 0) await this.iterativeLookup(s.id);
  }

  /** Kademlia replication: held records are re-stored (unchanged) on their key's current k closest. */
  private async replicate(now: number): Promise<void> {
    const keys = this.sql
      .exec<{ key: string }>("SELECT DISTINCT key FROM records WHERE expires_at > ? LIMIT ?", now, REPLICATE_KEYS_PER_TICK)
      .toArray()
      .map((r) => r.key);
    const records = keys.flatMap((k) => this.recordsFor(keyIdOf(k), now));
    if (records.length > 0) await this.publish(records);
  }

  // ------------------------------------------------------------------ views

  async info(): Promise<{ id: string; did: string; buckets: number; contacts: number; records: number }> {
    const s = this.requireSelf();
    const c = one(this.sql.exec<{ b: number; n: number }>("SELECT COUNT(DISTINCT bucket) AS b, COUNT(*) AS n FROM contacts"))!;
    const records = one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM records WHERE expires_at > ?", Date.now()))!.n;
    return { id: s.id, did: s.did, buckets: c.b, contacts: c.n, records };
  }

  async detail(): Promise<{ id: string; did: string; buckets: { index: number; contacts: { id: string; addr?: string; lastSeen: string; fails: number }[] }[]; records: number }> {
    const s = this.requireSelf();
    const rows = this.sql.exec<{ id: string; addr: string | null; bucket: number; last_seen: number; fails: number }>("SELECT * FROM contacts ORDER BY bucket, last_seen").toArray();
    const buckets = new Map<number, { id: string; addr?: string; lastSeen: string; fails: number }[]>();
    for (const r of rows) {
      const list = buckets.get(r.bucket) ?? [];
      list.push({ id: r.id, ...(r.addr ? { addr: r.addr } : {}), lastSeen: new Date(r.last_seen).toISOString(), fails: r.fails });
      buckets.set(r.bucket, list);
    }
    const { records } = await this.info();
    return { id: s.id, did: s.did, buckets: [...buckets].map(([index, contacts]) => ({ index, contacts })), records };
  }

  // ------------------------------------------------------------------ helpers

  /** Per-peer token bucket (bounded table, least recently used dropped): null, or seconds to wait. */
  private admit(peer: string, now: number, rps: number, burst: number): number | null {
    let b = this.peers.get(peer);
    if (b) this.peers.delete(peer);
    else {
      if (this.peers.size >= PEER_TABLE_MAX) this.peers.delete(this.peers.keys().next().value!);
      b = { tokens: burst, at: now };
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rps);
    b.at = now;
    this.peers.set(peer, b);
    if (b.tokens < 1) return Math.max(1, Math.ceil((1 - b.tokens) / rps));
    b.tokens -= 1;
    return null;
  }

  private learnOrigin(origin: string): void {
    this.origin = origin;
  }
  private origin: string | undefined;

  private selfContact(): Contact {
    const s = this.requireSelf();
    return this.origin ? { id: s.id, addr: `${this.origin}/v1/dht/nodes/${s.id}/rpc` } : { id: s.id };
  }

  private requireSelf() {
    if (!this.self) throw new Error("DhtNode used before init");
    return this.self;
  }

  private stub(name: string) {
    return this.env.DHT_NODE.getByName(name);
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timeout")), ms)))]);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

async function readText(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const bytes = await readStreamLimited(res.body, max);
  if (bytes === null) throw new Error("response too large");
  return new TextDecoder().decode(bytes);
}
