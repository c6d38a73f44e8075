// Campaign: one DO per campaign (DESIGN §7). It owns the budget arithmetic — spent, reserved,
// leases, daily commitments, per-(auction, type) charges — so `spent + reserved ≤ budget`
// holds here by construction: a budget slice is leased to an AdMarket shard only out of what
// is neither spent nor reserved, and a charge converts part of a live slice into spend.
//
// Slices: a shard reserves token prices locally out of its slice until `issueUntil`; the slice
// stays held until `issueUntil + AD_TOKEN_TTL_MS + AD_SETTLE_GRACE_MS` (no token from it can be
// charged later), then its uncharged part returns to the budget. A shard that stops early
// returns the slice with what it issued: the rest returns at once.
//
// Settlement: charges are batched into sys.ads.settle events (reserve the batch here → issue
// through the SystemIssuer, idempotent by key → mark issued). Ending a campaign closes it once
// no slice is held and every batch has applied: a final settle with `close` refunds the escrow.
// A campaign with `endsAt` ends by itself then: no slice outlives it, so the same close follows
// once the last one is released (its alarm is set at `endsAt` when the campaign is created).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { getConfig, type Config } from "../lib/config";
import { maxCharge, publisherShare, type BidModel } from "../ads/auction";
import type { CampaignEffect, CampaignStatus, ChargeOutcome, InteractionItem, LeaseGrant, LeaseReply, MarketEntry } from "../ads/types";
import { SYSTEM_ISSUER } from "../workers/shards";
import { migrate, one } from "./sqlite";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE campaign (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     id TEXT NOT NULL, advertiser TEXT NOT NULL, def TEXT NOT NULL,
     created_seq INTEGER NOT NULL, created_height INTEGER NOT NULL,
     model TEXT NOT NULL, bid TEXT NOT NULL, daily_budget TEXT,
     budget TEXT NOT NULL, spent TEXT NOT NULL DEFAULT '0',
     status TEXT NOT NULL, impressions INTEGER NOT NULL DEFAULT 0, clicks INTEGER NOT NULL DEFAULT 0,
     close_issued INTEGER NOT NULL DEFAULT 0, closed INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE effects (event_id TEXT PRIMARY KEY);
   CREATE TABLE leases (
     id TEXT PRIMARY KEY, shard TEXT NOT NULL, held TEXT NOT NULL, charged TEXT NOT NULL DEFAULT '0',
     issue_until INTEGER NOT NULL, release_at INTEGER NOT NULL, day INTEGER NOT NULL
   );
   CREATE INDEX leases_release ON leases (release_at);
   CREATE TABLE daily (day INTEGER PRIMARY KEY, charged TEXT NOT NULL);
   CREATE TABLE interactions (
     auction_id TEXT NOT NULL, type TEXT NOT NULL, amount TEXT NOT NULL, publisher TEXT NOT NULL,
     batch INTEGER, PRIMARY KEY (auction_id, type)
   );
   CREATE INDEX interactions_unbatched ON interactions (batch) WHERE batch IS NULL AND amount != '0';
   CREATE TABLE batches (n INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, body TEXT NOT NULL, issued INTEGER NOT NULL DEFAULT 0, outcome TEXT);`,
];

const DAY_MS = 86_400_000;
const SETTLE_DELAY_MS = 250;
const RETRY_MS = 1000;
const MAX_PUBLISHERS_PER_SETTLE = 200;
const MAX_ROWS_PER_ROUND = 5000;

type Row = {
  id: string;
  advertiser: string;
  def: string;
  created_seq: number;
  created_height: number;
  model: BidModel;
  bid: string;
  daily_budget: string | null;
  budget: string;
  spent: string;
  status: "active" | "paused" | "ended";
  impressions: number;
  clicks: number;
  close_issued: number;
  closed: number;
};

export interface CampaignView {
  id: string;
  advertiser: string;
  name: string;
  status: CampaignStatus;
  bid: { model: BidModel; amount: string };
  budget: string;
  dailyBudget: string | null;
  spent: string;
  reserved: string;
  remaining: string;
  impressions: number;
  clicks: number;
  ctr: number;
  targeting: MarketEntry["targeting"];
  creative: MarketEntry["creative"];
  frequencyCap: number | null;
  endsAt: string | null;
  createdHeight: number;
  closed: boolean;
}

export class Campaign extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly config: Config;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.config = getConfig(env);
    ctx.blockConcurrencyWhile(async () => migrate(this.sql, MIGRATIONS));
  }

  // ---- RPC ----

  /**
   * Block effects for this campaign, in block order; each applies once (by event id). Returns
   * the market entry to index and, when the campaign is active, one slice per shard (keyed by
   * the effect's event id, so a re-delivery returns the same slices).
   */
  async applyEffects(effects: CampaignEffect[], shards: string[]): Promise<{ entry: MarketEntry; leases: Record<string, LeaseGrant> } | null> {
    let grantKey: string | null = null;
    for (const e of effects) {
      const fresh = this.sql.exec("INSERT OR IGNORE INTO effects (event_id) VALUES (?)", e.eventId).rowsWritten > 0;
      if (e.kind === "create") {
        if (fresh) this.create(e);
        grantKey = e.eventId;
        continue;
      }
      const c = this.row();
      if (!c) continue;
      if (e.kind === "update") {
        if (fresh) {
          if (e.body.addBudget) this.sql.exec("UPDATE campaign SET budget = ?", (BigInt(c.budget) + BigInt(e.body.addBudget)).toString());
          if (e.body.status) this.sql.exec("UPDATE campaign SET status = ?", e.body.status);
        }
        grantKey = e.eventId;
      } else if (fresh) {
        this.sql.exec("UPDATE batches SET outcome = ? WHERE key = ?", e.ok ? "applied" : "failed", e.key);
        if (e.close && e.ok) this.sql.exec("UPDATE campaign SET closed = 1");
        if (!e.ok) console.error(`campaign ${c.id}: settlement ${e.key} failed at application`);
      }
    }
    const c = this.row();
    if (!c) return null;
    const leases: Record<string, LeaseGrant> = {};
    if (grantKey && c.status === "active") {
      const now = Date.now();
      this.releaseDue(now);
      for (const shard of shards) {
        const g = this.grant(shard, `${grantKey}:${shard}`, now);
        if (g) leases[shard] = g;
      }
    }
    await this.schedule();
    return { entry: this.entry(c), leases };
  }

  /**
   * A shard asks for a fresh slice of at least `need` units (the price it could not reserve),
   * and may hand back one it stops issuing from — first, so its unissued rest counts.
   */
  async lease(shard: string, ret?: { id: string; issued: string }, need = "1"): Promise<LeaseReply> {
    const now = Date.now();
    if (ret) this.returnOne(ret.id, BigInt(ret.issued));
    this.releaseDue(now);
    const c = this.row();
    if (!c) return { lease: null, status: "ended", impressions: 0, clicks: 0 };
    const lease = c.status === "active" ? this.grant(shard, `${shard}:${crypto.randomUUID()}`, now, BigInt(need)) : null;
    await this.schedule();
    const after = this.row()!;
    return { lease, status: this.status(after), impressions: after.impressions, clicks: after.clicks };
  }

  /** Slices a shard stops issuing from, with what it issued from each. */
  async returnLeases(items: { id: string; issued: string }[]): Promise<void> {
    for (const r of items) this.returnOne(r.id, BigInt(r.issued));
    await this.schedule();
  }

  /**
   * Interactions from the ad-interactions queue. Once per (auctionId, type): CPM pays per
   * impression, CPC per click (a click needs the impression first); a charge converts part of
   * a live slice into spend, and nothing is charged against a slice once it is released.
   */
  async charge(items: InteractionItem[]): Promise<ChargeOutcome[]> {
    const now = Date.now();
    this.releaseDue(now);
    const c = this.row();
    if (!c) return items.map(() => "unknown_campaign");
    const out: ChargeOutcome[] = [];
    for (const it of items) {
      if (one(this.sql.exec("SELECT 1 AS x FROM interactions WHERE auction_id = ? AND type = ?", it.auctionId, it.type))) {
        out.push("duplicate");
        continue;
      }
      if (it.type === "click" && !one(this.sql.exec("SELECT 1 AS x FROM interactions WHERE auction_id = ? AND type = 'impression'", it.auctionId))) {
        out.push("needs_impression");
        continue;
      }
      const lease = one(this.sql.exec<{ held: string; charged: string; day: number }>("SELECT held, charged, day FROM leases WHERE id = ?", it.lease));
      const billable = (c.model === "cpm" && it.type === "impression") || (c.model === "cpc" && it.type === "click");
      const price = BigInt(it.price);
      if (!lease || now > it.expiresAt + this.config.AD_SETTLE_GRACE_MS || (billable && BigInt(lease.charged) + price > BigInt(lease.held))) {
        // Released (or never ours): nothing more can be charged against it. Recorded, so a
        // replay is a duplicate, with amount 0.
        this.sql.exec("INSERT INTO interactions (auction_id, type, amount, publisher) VALUES (?, ?, '0', ?)", it.auctionId, it.type, it.publisher);
        out.push("void");
        continue;
      }
      const amount = billable ? price : 0n;
      this.sql.exec("INSERT INTO interactions (auction_id, type, amount, publisher) VALUES (?, ?, ?, ?)", it.auctionId, it.type, amount.toString(), it.publisher);
      this.sql.exec(`UPDATE campaign SET ${it.type === "impression" ? "impressions = impressions + 1" : "clicks = clicks + 1"}`);
      if (amount > 0n) {
        this.sql.exec("UPDATE leases SET charged = ? WHERE id = ?", (BigInt(lease.charged) + amount).toString(), it.lease);
        const spent = BigInt(this.row()!.spent) + amount;
        this.sql.exec("UPDATE campaign SET spent = ?", spent.toString());
        const d = one(this.sql.exec<{ charged: string }>("SELECT charged FROM daily WHERE day = ?", lease.day));
        this.sql.exec("INSERT OR REPLACE INTO daily (day, charged) VALUES (?, ?)", lease.day, (BigInt(d?.charged ?? "0") + amount).toString());
        out.push("charged");
      } else out.push("recorded");
    }
    await this.schedule();
    return out;
  }

  async view(): Promise<CampaignView | null> {
    this.releaseDue(Date.now());
    const c = this.row();
    if (!c) return null;
    const def = JSON.parse(c.def) as Record<string, any>;
    const budget = BigInt(c.budget);
    const spent = BigInt(c.spent);
    const reserved = this.reserved();
    return {
      id: c.id,
      advertiser: c.advertiser,
      name: def.name,
      status: this.status(c),
      bid: { model: c.model, amount: c.bid },
      budget: c.budget,
      dailyBudget: c.daily_budget,
      spent: c.spent,
      reserved: reserved.toString(),
      remaining: (budget - spent - reserved).toString(),
      impressions: c.impressions,
      clicks: c.clicks,
      ctr: c.impressions === 0 ? 0 : c.clicks / c.impressions,
      targeting: def.targeting,
      creative: def.creative,
      frequencyCap: def.frequencyCap ?? null,
      endsAt: def.endsAt ?? null,
      createdHeight: c.created_height,
      closed: c.closed === 1,
    };
  }

  /** For witnesses: who created it (null when unknown). */
  async info(): Promise<{ advertiser: string; status: CampaignStatus } | null> {
    const c = this.row();
    return c ? { advertiser: c.advertiser, status: this.status(c) } : null;
  }

  // ---- alarm: release due slices, settle charges, close an ended campaign ----

  override async alarm(): Promise<void> {
    this.releaseDue(Date.now());
    try {
      await this.settle();
      await this.maybeClose();
    } catch (err) {
      console.warn("campaign settlement failed; retrying", String(err));
      await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
      return;
    }
    await this.schedule();
  }

  // ---- helpers ----

  private row(): Row | undefined {
    return one(this.sql.exec<Row>("SELECT * FROM campaign"));
  }

  private create(e: Extract<CampaignEffect, { kind: "create" }>): void {
    const b = e.body as { bid: { model: BidModel; amount: string }; budget: string; dailyBudget?: string };
    this.sql.exec(
      "INSERT OR IGNORE INTO campaign (singleton, id, advertiser, def, created_seq, created_height, model, bid, daily_budget, budget, status) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active')",
      e.eventId,
      e.advertiser,
      JSON.stringify(e.body),
      e.seq,
      e.height,
      b.bid.model,
      b.bid.amount,
      b.dailyBudget ?? null,
      b.budget,
    );
  }

  /** The create event's `endsAt` in ms, when it has one. */
  private endsAtMs(c: Row): number | undefined {
    const endsAt = (JSON.parse(c.def) as { endsAt?: string }).endsAt;
    return endsAt === undefined ? undefined : Date.parse(endsAt);
  }

  /** Ended by the advertiser or by its `endsAt` (the ledger judges the latter by block time). */
  private ended(c: Row, now: number, end = this.endsAtMs(c)): boolean {
    if (c.status === "ended") return true;
    return end !== undefined && end <= now;
  }

  private status(c: Row): CampaignStatus {
    if (this.ended(c, Date.now())) return "ended";
    if (BigInt(c.spent) >= BigInt(c.budget)) return "exhausted";
    return c.status;
  }

  private entry(c: Row): MarketEntry {
    const def = JSON.parse(c.def) as { targeting: MarketEntry["targeting"]; creative: MarketEntry["creative"]; frequencyCap?: number; endsAt?: string };
    return {
      id: c.id,
      advertiser: c.advertiser,
      createdSeq: c.created_seq,
      model: c.model,
      bid: c.bid,
      targeting: def.targeting,
      creative: def.creative,
      ...(def.frequencyCap !== undefined ? { frequencyCap: def.frequencyCap } : {}),
      ...(def.endsAt !== undefined ? { endsAtMs: Date.parse(def.endsAt) } : {}),
      status: this.status(c),
      impressions: c.impressions,
      clicks: c.clicks,
    };
  }

  /** Σ over held slices of what is not yet charged. */
  private reserved(): bigint {
    let r = 0n;
    for (const l of this.sql.exec<{ held: string; charged: string }>("SELECT held, charged FROM leases")) r += BigInt(l.held) - BigInt(l.charged);
    return r;
  }

  private committedOn(day: number): bigint {
    let r = BigInt(one(this.sql.exec<{ charged: string }>("SELECT charged FROM daily WHERE day = ?", day))?.charged ?? "0");
    for (const l of this.sql.exec<{ held: string; charged: string }>("SELECT held, charged FROM leases WHERE day = ?", day)) r += BigInt(l.held) - BigInt(l.charged);
    return r;
  }

  /**
   * Leases a slice out of what is neither spent nor reserved (and, with a daily budget, not yet
   * committed today). Synchronous: the check and the insert cannot interleave with a charge.
   */
  private grant(shard: string, id: string, now: number, need = 1n): LeaseGrant | null {
    const existing = one(this.sql.exec<{ held: string; issue_until: number }>("SELECT held, issue_until FROM leases WHERE id = ?", id));
    if (existing) return existing.issue_until > now ? { id, amount: existing.held, issueUntil: existing.issue_until } : null;
    const c = this.row()!;
    if (c.status !== "active") return null;
    const day = Math.floor(now / DAY_MS);
    let issueUntil = now + this.config.AD_LEASE_MS;
    if (c.daily_budget !== null) issueUntil = Math.min(issueUntil, (day + 1) * DAY_MS); // a slice never spans two days
    const end = this.endsAtMs(c);
    if (end !== undefined) issueUntil = Math.min(issueUntil, end);
    if (issueUntil <= now) return null;
    let available = BigInt(c.budget) - BigInt(c.spent) - this.reserved();
    if (c.daily_budget !== null) {
      const today = BigInt(c.daily_budget) - this.committedOn(day);
      if (today < available) available = today;
    }
    // Never a slice too small for the price that asked for it: fragments would be passed from
    // shard to shard without ever covering a charge.
    if (available <= 0n || available < need) return null;
    const shards = BigInt(this.config.AD_MARKET_SHARDS);
    const mc = maxCharge(c.model, BigInt(c.bid));
    let want = (available + 2n * shards - 1n) / (2n * shards); // about half the rest spread over the shards
    if (want < mc) want = mc;
    if (want < need) want = need;
    const amount = want < available ? want : available;
    const releaseAt = issueUntil + this.config.AD_TOKEN_TTL_MS + this.config.AD_SETTLE_GRACE_MS;
    this.sql.exec("INSERT INTO leases (id, shard, held, issue_until, release_at, day) VALUES (?, ?, ?, ?, ?, ?)", id, shard, amount.toString(), issueUntil, releaseAt, day);
    return { id, amount: amount.toString(), issueUntil };
  }

  /** The shard issued `issued` from the slice and stops: the rest is no longer held. */
  private returnOne(id: string, issued: bigint): void {
    const l = one(this.sql.exec<{ held: string; charged: string }>("SELECT held, charged FROM leases WHERE id = ?", id));
    if (!l) return;
    const held = BigInt(l.held);
    const charged = BigInt(l.charged);
    // Never below what was charged; never above what was leased.
    let next = issued < held ? issued : held;
    if (next < charged) next = charged;
    if (next === 0n) this.sql.exec("DELETE FROM leases WHERE id = ?", id);
    else this.sql.exec("UPDATE leases SET held = ? WHERE id = ?", next.toString(), id);
  }

  /** Slices past their release time: their uncharged part returns to the budget. */
  private releaseDue(now: number): void {
    this.sql.exec("DELETE FROM leases WHERE release_at <= ?", now);
  }

  /** Charges not yet in a batch → sys.ads.settle batches (≤ 200 publishers each), issued idempotently. */
  private async settle(): Promise<void> {
    const c = this.row();
    if (!c) return;
    const rows = this.sql
      .exec<{ auction_id: string; type: string; amount: string; publisher: string }>(
        "SELECT auction_id, type, amount, publisher FROM interactions WHERE batch IS NULL AND amount != '0' LIMIT ?",
        MAX_ROWS_PER_ROUND,
      )
      .toArray();
    if (rows.length > 0) {
      // Reserve: the batch is bound to its charges before any call leaves this DO.
      const byPublisher = new Map<string, { amount: bigint; rows: typeof rows }>();
      for (const r of rows) {
        if (!byPublisher.has(r.publisher)) byPublisher.set(r.publisher, { amount: 0n, rows: [] });
        const p = byPublisher.get(r.publisher)!;
        p.amount += BigInt(r.amount);
        p.rows.push(r);
      }
      const pubs = [...byPublisher].sort(([a], [b]) => (a < b ? -1 : 1));
      for (let i = 0; i < pubs.length; i += MAX_PUBLISHERS_PER_SETTLE) {
        const part = pubs.slice(i, i + MAX_PUBLISHERS_PER_SETTLE);
        const n = (one(this.sql.exec<{ n: number | null }>("SELECT MAX(n) AS n FROM batches"))?.n ?? 0) + 1;
        const key = `ads:${c.id}:${n}`;
        const charges = part.map(([publisher, p]) => ({
          publisher,
          amount: p.amount.toString(),
          publisherShare: publisherShare(p.amount, this.config.AD_PUBLISHER_SHARE_BPS).toString(),
        }));
        this.sql.exec("INSERT INTO batches (n, key, body) VALUES (?, ?, ?)", n, key, JSON.stringify({ key, campaign: c.id, charges }));
        for (const [, p] of part) for (const r of p.rows) this.sql.exec("UPDATE interactions SET batch = ? WHERE auction_id = ? AND type = ?", n, r.auction_id, r.type);
      }
    }
    // Call → commit: the SystemIssuer makes one event per key, so a retry issues nothing new.
    const pending = this.sql.exec<{ n: number; body: string }>("SELECT n, body FROM batches WHERE issued = 0 ORDER BY n").toArray();
    for (const b of pending) {
      const body = JSON.parse(b.body) as { key: string };
      await this.env.SYSTEM_ISSUER.getByName(SYSTEM_ISSUER).issue("sys.ads.settle", body);
      this.sql.exec("UPDATE batches SET issued = 1 WHERE n = ?", b.n);
    }
  }

  /** An ended campaign closes once nothing is held and every batch has applied: the escrow goes back. */
  private async maybeClose(): Promise<void> {
    const c = this.row();
    if (!c || c.close_issued === 1 || !this.ended(c, Date.now())) return;
    if (one(this.sql.exec("SELECT 1 AS x FROM leases LIMIT 1"))) return;
    if (one(this.sql.exec("SELECT 1 AS x FROM interactions WHERE batch IS NULL AND amount != '0' LIMIT 1"))) return;
    if (one(this.sql.exec("SELECT 1 AS x FROM batches WHERE outcome IS NULL LIMIT 1"))) return;
    const key = `ads:${c.id}:close`;
    this.sql.exec("INSERT OR IGNORE INTO batches (n, key, body, issued) VALUES ((SELECT COALESCE(MAX(n), 0) + 1 FROM batches), ?, ?, 1)", key, JSON.stringify({ key, campaign: c.id, charges: [], close: true }));
    await this.env.SYSTEM_ISSUER.getByName(SYSTEM_ISSUER).issue("sys.ads.settle", { key, campaign: c.id, charges: [], close: true });
    this.sql.exec("UPDATE campaign SET close_issued = 1");
  }

  private async schedule(): Promise<void> {
    const now = Date.now();
    const c = this.row();
    if (!c) return;
    const candidates: number[] = [];
    if (one(this.sql.exec("SELECT 1 AS x FROM interactions WHERE batch IS NULL AND amount != '0' LIMIT 1"))) candidates.push(now + SETTLE_DELAY_MS);
    if (one(this.sql.exec("SELECT 1 AS x FROM batches WHERE issued = 0 LIMIT 1"))) candidates.push(now);
    const nextRelease = one(this.sql.exec<{ at: number | null }>("SELECT MIN(release_at) AS at FROM leases"))?.at ?? null;
    if (nextRelease !== null) candidates.push(nextRelease);
    if (c.close_issued === 0) {
      const end = this.endsAtMs(c);
      if (this.ended(c, now, end)) candidates.push(nextRelease === null ? now : nextRelease);
      else if (end !== undefined) candidates.push(end); // closes by itself at endsAt (slices release after it)
    }
    if (candidates.length === 0) return;
    const at = Math.max(now, Math.min(...candidates));
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at || current < now) await this.ctx.storage.setAlarm(at);
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
