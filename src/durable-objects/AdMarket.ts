// AdMarket: one of AD_MARKET_SHARDS auction shards (DESIGN §7, seed D). It keeps a
// read-optimized in-memory index of every campaign — posting lists by keyword and tag plus a
// run-of-network list, each kept in rank order — and a budget slice leased from each Campaign
// DO, so an auction is a memory walk and a local reservation: no storage scan and no Campaign
// call on the auction path. Slices are refilled in the background; a campaign whose slice
// cannot cover its price is skipped (the auction re-ranks without it).
//
// Auctions with a viewer are routed to the shard that owns the viewer, so frequency caps are
// counted in one place (persisted: a reset does not forget them). The campaign definitions and
// the budget slices (with what was issued from each) are persisted too and reloaded at start,
// so an evicted or reset shard resumes where it stopped instead of refilling every campaign
// (from a recorded mark a little ahead of what it issued: one durable write per 1/16 slice).
//
// The "keyring" instance of this class holds the HMAC secret that signs ad tokens.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { getConfig, type Config } from "../lib/config";
import { toHex } from "../lib/encoding";
import { compareCandidates, compareRational, ecpm, runAuction, type Candidate } from "../ads/auction";
import { importTokenKey, signToken } from "../ads/token";
import { AD_KEYRING, type LeaseGrant, type LeaseReply, type MarketEntry } from "../ads/types";
import { migrate, one } from "./sqlite";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE campaigns (id TEXT PRIMARY KEY, advertiser TEXT NOT NULL, created_seq INTEGER NOT NULL, entry TEXT NOT NULL);
   CREATE INDEX campaigns_advertiser ON campaigns (advertiser, created_seq);
   CREATE TABLE freq (campaign TEXT NOT NULL, viewer TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (campaign, viewer));
   CREATE TABLE keyring (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), secret BLOB NOT NULL);`,
  // v2: the budget slices survive an eviction or reset. In memory only, a restarted shard knew
  // neither which slices it held nor how much of each it had issued: every campaign an auction
  // looked at then needed a refill (a storm of Campaign wake-ups after any idle period).
  `CREATE TABLE slices (campaign TEXT PRIMARY KEY, id TEXT NOT NULL, amount TEXT NOT NULL, issued TEXT NOT NULL, issue_until INTEGER NOT NULL);`,
  // v3: every slice id this shard has installed (until its issuing window is long past). A
  // block's campaign effects are re-delivered when that step is retried; a slice the shard has
  // since replaced and handed back must not be installed again (it would restart at 0 issued).
  `CREATE TABLE installed (id TEXT PRIMARY KEY, issue_until INTEGER NOT NULL) WITHOUT ROWID;
   CREATE INDEX installed_until ON installed (issue_until);
   INSERT OR IGNORE INTO installed (id, issue_until) SELECT id, issue_until FROM slices;`,
];

/** An installed slice id is remembered this long past its issuing window (older ones are refused anyway). */
const INSTALLED_KEEP_MS = 60_000;

const REFILL_BACKOFF_MS = 1000;
/** Slice refills in flight per shard; more wait in rank order (an idle market wakes gradually, not in a storm). */
const MAX_REFILLS_IN_FLIGHT = 16;
const MAX_REFILLS_WAITING = 100_000;
const MAX_CONTEXT_TERMS = 32;

interface Slice {
  id: string;
  amount: bigint;
  remaining: bigint;
  issued: bigint;
  /** `issued` as the slices table has it: a mark at or above what was really issued. */
  recorded: bigint;
  issueUntil: number;
}

/**
 * The slices table records a mark ahead of what was issued, moved on by 1/ISSUE_MARK_STEPS of
 * the slice when issuing passes it: a durable write every so many auctions instead of each. A
 * shard that restarts resumes from the mark — it may under-issue the rest of the slice, never
 * over-issue; a running shard reports what it really issued.
 */
const ISSUE_MARK_STEPS = 16n;

interface Mem extends Candidate {
  entry: MarketEntry;
  langs: Set<string> | null;
  slice: Slice | null;
  refilling: boolean;
  retryAt: number;
}

export interface AuctionRequest {
  placement: string;
  publisher: string;
  context?: { keywords?: string[]; tags?: string[]; lang?: string };
  viewer?: string;
  floor?: string;
}

export interface AuctionResult {
  auctionId: string;
  campaignId: string;
  creative: MarketEntry["creative"];
  model: "cpm" | "cpc";
  price: string;
  token: string;
  expiresAt: string;
}

export class AdMarket extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly config: Config;
  private readonly campaigns = new Map<string, Mem>();
  private byKeyword = new Map<string, Mem[]>();
  private byTag = new Map<string, Mem[]>();
  private runOfNetwork: Mem[] = [];
  private dirty = true;
  /** The imported token key, once read: the key itself, never the pending read (DECISIONS 175). */
  private key: CryptoKey | null = null;
  private refillsInFlight = 0;
  private readonly refillWaiting = new Map<string, { spent: boolean; need: bigint }>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.config = getConfig(env);
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql, MIGRATIONS);
      for (const r of this.sql.exec<{ entry: string }>("SELECT entry FROM campaigns")) this.index(JSON.parse(r.entry) as MarketEntry);
      for (const r of this.sql.exec<{ campaign: string; id: string; amount: string; issued: string; issue_until: number }>("SELECT * FROM slices")) {
        const m = this.campaigns.get(r.campaign);
        if (!m) continue;
        const amount = BigInt(r.amount);
        const issued = BigInt(r.issued);
        m.slice = { id: r.id, amount, remaining: amount - issued, issued, recorded: issued, issueUntil: r.issue_until };
      }
    });
  }

  // ---- RPC ----

  /** Campaign changes from applied block effects (with a fresh slice when active). Idempotent. */
  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }

  async upsert(items: { entry: MarketEntry; lease?: LeaseGrant }[]): Promise<void> {
    const now = Date.now();
    this.sql.exec("DELETE FROM installed WHERE issue_until < ?", now - INSTALLED_KEEP_MS);
    for (const { entry, lease } of items) {
      this.sql.exec(
        "INSERT OR REPLACE INTO campaigns (id, advertiser, created_seq, entry) VALUES (?, ?, ?, ?)",
        entry.id,
        entry.advertiser,
        entry.createdSeq,
        JSON.stringify(entry),
      );
      const m = this.index(entry);
      if (entry.status !== "active") {
        this.dropSlice(m);
        continue;
      }
      m.retryAt = 0;
      // A slice is installed once (the current one included): a re-delivered effect (the block
      // step retried) may carry one this shard holds, or has replaced and handed back since, or
      // one whose issuing window is over.
      if (lease && lease.issueUntil > now && !one(this.sql.exec("SELECT 1 AS x FROM installed WHERE id = ?", lease.id))) {
        this.install(m, lease);
      }
    }
  }

  async auction(req: AuctionRequest): Promise<AuctionResult | null> {
    const key = await this.tokenKey(); // before any state is read: nothing below awaits until the reservation is made
    const now = Date.now();
    if (this.dirty) this.rebuild();
    const lists: Mem[][] = [this.runOfNetwork];
    const terms = new Set<string>();
    for (const k of req.context?.keywords ?? []) {
      const w = k.toLowerCase();
      if (terms.size < MAX_CONTEXT_TERMS && !terms.has(`k:${w}`) && this.byKeyword.has(w)) {
        terms.add(`k:${w}`);
        lists.push(this.byKeyword.get(w)!);
      }
    }
    for (const t of req.context?.tags ?? []) {
      if (terms.size < MAX_CONTEXT_TERMS && !terms.has(`t:${t}`) && this.byTag.has(t)) {
        terms.add(`t:${t}`);
        lists.push(this.byTag.get(t)!);
      }
    }
    const lang = req.context?.lang;
    const viewer = req.viewer;
    const eligible = (m: Mem): boolean => {
      if (m.entry.status !== "active") return false;
      if (m.entry.endsAtMs !== undefined && m.entry.endsAtMs <= now) return false;
      if (m.langs && (!lang || !m.langs.has(lang))) return false;
      if (viewer && m.entry.frequencyCap !== undefined && this.seen(m.id, viewer) >= m.entry.frequencyCap) return false;
      if (!m.slice || m.slice.issueUntil <= now || m.slice.remaining <= 0n) {
        this.refill(m, now, true);
        return false;
      }
      return true;
    };
    const outcome = runAuction(merged(lists, eligible), BigInt(req.floor ?? "0"), (m, price) => {
      const s = m.slice!;
      if (s.remaining < price) {
        this.refill(m, now, true, price);
        return false;
      }
      s.remaining -= price;
      s.issued += price;
      if (s.issued > s.recorded) {
        const step = s.amount / ISSUE_MARK_STEPS;
        const mark = s.issued + (step > price ? step : price);
        s.recorded = mark < s.amount ? mark : s.amount;
        this.sql.exec("UPDATE slices SET issued = ? WHERE campaign = ?", s.recorded.toString(), m.id);
      }
      if (viewer && m.entry.frequencyCap !== undefined) {
        this.sql.exec("INSERT INTO freq (campaign, viewer, n) VALUES (?, ?, 1) ON CONFLICT (campaign, viewer) DO UPDATE SET n = n + 1", m.id, viewer);
      }
      return true;
    });
    if (!outcome) return null;
    const m = outcome.winner;
    const s = m.slice!;
    // Low water: a fresh slice is fetched in the background before this one runs dry or out of time.
    if (s.remaining < outcome.price * 4n || s.remaining * 4n < s.amount || s.issueUntil - now < this.config.AD_LEASE_MS / 4) this.refill(m, now, false);
    const expiresAtMs = now + this.config.AD_TOKEN_TTL_MS;
    const auctionId = toHex(crypto.getRandomValues(new Uint8Array(16)));
    const token = await signToken(key, { a: auctionId, c: m.id, l: s.id, p: outcome.price.toString(), m: m.model, pub: req.publisher, e: expiresAtMs });
    return {
      auctionId,
      campaignId: m.id,
      creative: m.entry.creative,
      model: m.model,
      price: outcome.price.toString(),
      token,
      expiresAt: new Date(expiresAtMs).toISOString(),
    };
  }

  /** Campaigns of an advertiser, newest first, created before sequence `before` if given (every shard indexes every campaign). */
  async listByAdvertiser(advertiser: string, limit: number, before?: number): Promise<{ id: string; seq: number }[]> {
    return this.sql
      .exec<{ id: string; seq: number }>(
        "SELECT id, created_seq AS seq FROM campaigns WHERE advertiser = ? AND created_seq < ? ORDER BY created_seq DESC LIMIT ?",
        advertiser,
        before ?? Number.MAX_SAFE_INTEGER,
        limit,
      )
      .toArray()
      .map((r) => ({ id: r.id, seq: r.seq }));
  }

  async stats(): Promise<{ campaigns: number; slices: number }> {
    let slices = 0;
    for (const m of this.campaigns.values()) if (m.slice) slices++;
    return { campaigns: this.campaigns.size, slices };
  }

  /** Keyring instance only: the token secret, made once. */
  async tokenSecret(): Promise<Uint8Array> {
    const r = one(this.sql.exec<{ secret: ArrayBuffer }>("SELECT secret FROM keyring"));
    if (r) return new Uint8Array(r.secret);
    const secret = crypto.getRandomValues(new Uint8Array(32));
    this.sql.exec("INSERT INTO keyring (singleton, secret) VALUES (1, ?)", secret);
    return secret;
  }

  // ---- helpers ----

  private async tokenKey(): Promise<CryptoKey> {
    this.key ??= await importTokenKey(await this.env.AD_MARKET.getByName(AD_KEYRING).tokenSecret());
    return this.key;
  }

  private seen(campaign: string, viewer: string): number {
    return one(this.sql.exec<{ n: number }>("SELECT n FROM freq WHERE campaign = ? AND viewer = ?", campaign, viewer))?.n ?? 0;
  }

  private index(entry: MarketEntry): Mem {
    let m = this.campaigns.get(entry.id);
    const before = m ? ecpm(m) : null;
    if (!m) {
      m = {
        id: entry.id,
        createdSeq: entry.createdSeq,
        model: entry.model,
        amount: BigInt(entry.bid),
        clicks: entry.clicks,
        impressions: entry.impressions,
        entry,
        langs: entry.targeting.langs?.length ? new Set(entry.targeting.langs) : null,
        slice: null,
        refilling: false,
        retryAt: 0,
      };
      this.campaigns.set(entry.id, m);
      this.dirty = true;
    } else {
      m.entry = entry;
      this.setStats(m, entry.impressions, entry.clicks);
      if (before && compareRational(before, ecpm(m)) !== 0) this.dirty = true;
    }
    return m;
  }

  private setStats(m: Mem, impressions: number, clicks: number): void {
    if (m.impressions === impressions && m.clicks === clicks) return;
    const before = ecpm(m);
    m.impressions = impressions;
    m.clicks = clicks;
    m.entry = { ...m.entry, impressions, clicks };
    if (compareRational(before, ecpm(m)) !== 0) this.dirty = true; // CPC eCPM follows the click-through estimate
  }

  /** Posting lists in rank order; rebuilt (rarely) when membership or an eCPM changed. */
  private rebuild(): void {
    const byKeyword = new Map<string, Mem[]>();
    const byTag = new Map<string, Mem[]>();
    const ron: Mem[] = [];
    for (const m of this.campaigns.values()) {
      if (m.entry.status === "ended") continue;
      const kw = m.entry.targeting.keywords ?? [];
      const tags = m.entry.targeting.tags ?? [];
      if (kw.length === 0 && tags.length === 0) ron.push(m);
      for (const k of new Set(kw.map((w) => w.toLowerCase()))) (byKeyword.get(k) ?? byKeyword.set(k, []).get(k)!).push(m);
      for (const t of new Set(tags)) (byTag.get(t) ?? byTag.set(t, []).get(t)!).push(m);
    }
    ron.sort(compareCandidates);
    for (const l of byKeyword.values()) l.sort(compareCandidates);
    for (const l of byTag.values()) l.sort(compareCandidates);
    this.byKeyword = byKeyword;
    this.byTag = byTag;
    this.runOfNetwork = ron;
    this.dirty = false;
  }

  /**
   * Fetches a fresh slice in the background (one at a time per campaign, with a backoff when
   * refused). A slice that can no longer serve (`spent`: dry, too small or out of time) is
   * handed back in the same call, so its unissued rest counts toward the new one; a slice at
   * low water keeps serving until the new one arrives.
   */
  private refill(m: Mem, now: number, spent: boolean, need = 1n): void {
    if (m.refilling || now < m.retryAt || m.entry.status !== "active") return;
    if (this.refillsInFlight >= MAX_REFILLS_IN_FLIGHT) {
      if (this.refillWaiting.size < MAX_REFILLS_WAITING && !this.refillWaiting.has(m.id)) this.refillWaiting.set(m.id, { spent, need });
      return;
    }
    m.refilling = true;
    this.refillsInFlight++;
    const shard = this.ctx.id.name ?? "ads-?";
    let ret: { id: string; issued: string } | undefined;
    if (spent && m.slice) {
      ret = { id: m.slice.id, issued: m.slice.issued.toString() };
      this.setSlice(m, null);
    }
    const stub = this.env.CAMPAIGN.getByName(m.id);
    const p = stub
      .lease(shard, ret, need.toString())
      .then((r: LeaseReply) => {
        this.setStats(m, r.impressions, r.clicks);
        if (r.status !== m.entry.status) {
          m.entry = { ...m.entry, status: r.status };
          this.dirty = true;
        }
        if (r.lease) {
          this.install(m, r.lease);
        } else {
          m.retryAt = Date.now() + REFILL_BACKOFF_MS;
        }
      })
      .catch((err) => {
        console.warn(`slice refill for ${m.id} failed`, String(err));
        m.retryAt = Date.now() + REFILL_BACKOFF_MS;
      })
      .finally(() => {
        m.refilling = false;
        this.refillsInFlight--;
        this.nextRefill();
      });
    this.ctx.waitUntil(p);
  }

  private nextRefill(): void {
    const now = Date.now();
    for (const [id, w] of this.refillWaiting) {
      if (this.refillsInFlight >= MAX_REFILLS_IN_FLIGHT) return;
      this.refillWaiting.delete(id);
      const m = this.campaigns.get(id);
      if (m) this.refill(m, now, w.spent, w.need);
    }
  }

  /** Replaces the campaign's slice with a fresh one from a lease (nothing issued from it yet). */
  private install(m: Mem, lease: LeaseGrant): void {
    this.dropSlice(m);
    const amount = BigInt(lease.amount);
    this.setSlice(m, { id: lease.id, amount, remaining: amount, issued: 0n, recorded: 0n, issueUntil: lease.issueUntil });
  }

  /** The campaign's current slice, in memory and in the slices table (same synchronous step). */
  private setSlice(m: Mem, slice: Slice | null): void {
    m.slice = slice;
    if (slice) {
      this.sql.exec("INSERT OR IGNORE INTO installed (id, issue_until) VALUES (?, ?)", slice.id, slice.issueUntil);
      this.sql.exec(
        "INSERT OR REPLACE INTO slices (campaign, id, amount, issued, issue_until) VALUES (?, ?, ?, ?, ?)",
        m.id,
        slice.id,
        slice.amount.toString(),
        slice.recorded.toString(),
        slice.issueUntil,
      );
    } else {
      this.sql.exec("DELETE FROM slices WHERE campaign = ?", m.id);
    }
  }

  /** Stops issuing from the current slice and hands it back with what was issued from it. */
  private dropSlice(m: Mem): void {
    const s = m.slice;
    if (!s) return;
    this.setSlice(m, null);
    this.ctx.waitUntil(
      this.env.CAMPAIGN.getByName(m.id)
        .returnLeases([{ id: s.id, issued: s.issued.toString() }])
        .catch((err) => console.warn(`slice return for ${m.id} failed (it expires instead)`, String(err))),
    );
  }
}

/** Lazily merges rank-ordered lists into one rank order of distinct eligible candidates. */
function* merged(lists: Mem[][], eligible: (m: Mem) => boolean): Generator<Mem> {
  const pos = lists.map(() => 0);
  const seen = new Set<string>();
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const l = lists[i]!;
      while (pos[i]! < l.length && (seen.has(l[pos[i]!]!.id) || !eligible(l[pos[i]!]!))) {
        seen.add(l[pos[i]!]!.id);
        pos[i]!++;
      }
      if (pos[i]! < l.length && (best < 0 || compareCandidates(l[pos[i]!]!, lists[best]![pos[best]!]!) < 0)) best = i;
    }
    if (best < 0) return;
    const m = lists[best]![pos[best]!]!;
    pos[best]!++;
    seen.add(m.id);
    yield m;
  }
}
