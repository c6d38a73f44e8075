// EventShard: the durable record of every event whose id falls in this shard (id prefix mod
// EVENT_SHARDS): envelope, intake time, status, reason and receipt. It is the inbox's owner:
// it bounds pending events, enqueues them for the witnesses, and re-enqueues (alarm) those not
// attested in time, ending them `rejected witness_timeout` after ATTEST_MAX_ATTEMPTS.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { getConfig, type Config } from "../lib/config";
import { migrate, one } from "./sqlite";
import { PackingBatcher } from "../queues/batcher";
import { WITNESS_INBOX_MESSAGE_BYTES, WITNESS_INBOX_MESSAGE_EVENTS, type WitnessInboxItem } from "../queues/messages";
import type { EventRecord, EventStatus, Receipt } from "../schemas/api";
import { SEQUENCER } from "../workers/shards";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE events (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     author TEXT NOT NULL,
     envelope TEXT NOT NULL,
     intake_at INTEGER NOT NULL,
     status TEXT NOT NULL,
     reason TEXT,
     receipt TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     retry_at INTEGER NOT NULL
   );
   CREATE INDEX events_pending_retry ON events (retry_at) WHERE status = 'pending';`,
  // v2 (ledger): attested events are forwarded to the Sequencer exactly once (outbox).
  `ALTER TABLE events ADD COLUMN forwarded INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX events_unforwarded ON events (id) WHERE status = 'attested' AND forwarded = 0;`,
];

const FORWARD_BATCH = 500;
/**
 * Witness-inbox messages linger to pack events: INBOX_LINGER_MS normally, INBOX_LINGER_BUSY_MS
 * while this shard holds more than INBOX_BUSY_PENDING pending events. A consumer batch is at
 * most 100 messages, so under load fuller messages mean more events per batch (the local
 * queue delivers one batch at a time); the extra wait is small beside the backlog's.
 */
const INBOX_LINGER_MS = 200;
const INBOX_LINGER_BUSY_MS = 500;
const INBOX_BUSY_PENDING = 32;
const FORWARD_RETRY_MS = 1000;
const SAFETY_MS = 5000;

const STATUSES: EventStatus[] = ["pending", "attested", "applied", "failed", "rejected"];

export type SubmitResult =
  | { outcome: "known"; status: EventStatus }
  | { outcome: "accepted" }
  | { outcome: "refused"; code: "invalid_signature" | "stale_event" | "rate_limited" | "overloaded" };

export interface SubmitInput {
  id: string;
  event: Record<string, unknown> & { kind: string; author: string };
  intakeAt: number;
  /** Verified at the edge; reported only if the id turns out to be new (check order, §4). */
  signatureValid: boolean;
  fresh: boolean;
}

export interface Verdict {
  id: string;
  status: "attested" | "rejected";
  reason?: string;
  receipt: Receipt;
}

type Row = {
  id: string;
  envelope: string;
  status: string;
  reason: string | null;
  receipt: string | null;
  intake_at: number;
  attempts: number;
};

export class EventShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly config: Config;
  private readonly counts = new Map<EventStatus, number>();
  private alarmAt: number | null = null;
  private readonly inbox: PackingBatcher<WitnessInboxItem>;
  private forwarding: Promise<void> | null = null;
  private forwardAgain = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.config = getConfig(env);
    // Intake does not wait for the send (the alarm covers a lost one), so lingering a few ms
    // to pack events into messages costs no response latency and saves most queue operations.
    this.inbox = new PackingBatcher(
      env.WITNESS_INBOX,
      () => (this.count("pending") > INBOX_BUSY_PENDING ? INBOX_LINGER_BUSY_MS : INBOX_LINGER_MS),
      WITNESS_INBOX_MESSAGE_EVENTS,
      WITNESS_INBOX_MESSAGE_BYTES,
    );
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql, MIGRATIONS);
      for (const s of STATUSES) this.counts.set(s, 0);
      for (const r of this.sql.exec<{ status: EventStatus; n: number }>("SELECT status, COUNT(*) AS n FROM events GROUP BY status")) {
        this.counts.set(r.status, r.n);
      }
      this.alarmAt = await ctx.storage.getAlarm();
      // After a reset mid-alarm, make sure the outstanding work still has an alarm.
      const due = one(
        this.sql.exec<{ t: number | null }>(
          "SELECT MIN(t) AS t FROM (SELECT MIN(retry_at) AS t FROM events WHERE status = 'pending' UNION ALL SELECT 0 AS t FROM (SELECT 1 FROM events WHERE status = 'attested' AND forwarded = 0 LIMIT 1))",
        ),
      )?.t;
      if (due !== null && due !== undefined) this.ensureAlarm(Math.max(due, Date.now()));
    });
  }

  // ---- RPC ----

  async submit(input: SubmitInput): Promise<SubmitResult> {
    const known = this.statusOf(input.id);
    if (known) return { outcome: "known", status: known };
    if (!input.signatureValid) return { outcome: "refused", code: "invalid_signature" };
    if (!input.fresh) return { outcome: "refused", code: "stale_event" };
    const { success } = await this.env.AUTHOR_LIMITER.limit({ key: input.event.author });

    // Everything below is synchronous: the existence re-check, the bound and the insert form
    // one step no other request can interleave with (the await above is the last one). A
    // concurrent submit of the same id may have recorded it meanwhile: the refusals look
    // again first, and the insert itself is conditional (one lookup on the common path).
    if (!success || this.count("pending") >= this.pendingBound()) {
      const raced = this.statusOf(input.id);
      if (raced) return { outcome: "known", status: raced };
      return { outcome: "refused", code: success ? "overloaded" : "rate_limited" };
    }

    // Durable before the 202; the send is not awaited: if it is lost, the alarm re-enqueues.
    if (!this.recordPending(input.id, input.event, input.intakeAt)) return { outcome: "known", status: this.statusOf(input.id)! };
    return { outcome: "accepted" };
  }

  /**
   * A system event from the SystemIssuer: recorded like any event, but not subject to the
   * per-author limit or the inbox bound (the issuer is the deployment itself).
   */
  async submitSystem(id: string, event: Record<string, unknown> & { kind: string; author: string }): Promise<EventStatus> {
    const known = this.statusOf(id);
    if (known) return known;
    await this.recordPending(id, event, Date.now());
    return "pending";
  }

  async get(id: string): Promise<EventRecord | null> {
    const row = one(this.sql.exec<Row>("SELECT * FROM events WHERE id = ?", id));
    if (!row) return null;
    const record: EventRecord = { id: row.id, event: JSON.parse(row.envelope), status: row.status as EventStatus };
    if (row.reason !== null) record.reason = row.reason;
    if (row.receipt !== null) record.receipt = JSON.parse(row.receipt);
    return record;
  }

  /**
   * Committee outcomes from the witness-inbox consumer. Only pending events change; newly
   * attested ones are then forwarded to the Sequencer in the background (the consumer does not
   * wait for the Sequencer; a failed or interrupted forward is retried by the alarm, and the
   * constructor re-arms it for unforwarded rows after a reset).
   */
  async recordVerdicts(verdicts: Verdict[]): Promise<number> {
    let changed = 0;
    for (const v of verdicts) {
      const cur = this.sql.exec(
        "UPDATE events SET status = ?, reason = ?, receipt = ? WHERE id = ? AND status = 'pending'",
        v.status,
        v.reason ?? null,
        JSON.stringify(v.receipt),
        v.id,
      );
      if (cur.rowsWritten > 0) {
        this.bump("pending", -1);
        this.bump(v.status, 1);
        changed++;
      }
    }
    if (changed > 0) this.kickForward();
    return changed;
  }

  /** Final outcomes from the block executor, once every shard has applied the block. */
  async markFinal(results: { id: string; status: "applied" | "failed"; reason?: string; sequence: number; block: number }[]): Promise<number> {
    let changed = 0;
    for (const r of results) {
      const row = one(this.sql.exec<{ receipt: string | null }>("SELECT receipt FROM events WHERE id = ? AND status = 'attested'", r.id));
      if (!row) continue;
      const receipt = { ...(row.receipt ? JSON.parse(row.receipt) : {}), sequence: r.sequence, block: r.block };
      this.sql.exec("UPDATE events SET status = ?, reason = ?, receipt = ?, forwarded = 1 WHERE id = ?", r.status, r.reason ?? null, JSON.stringify(receipt), r.id);
      this.bump("attested", -1);
      this.bump(r.status, 1);
      changed++;
    }
    return changed;
  }

  /** Dead-letter resolution: what the witnesses never attested ends rejected, not pending. */
  async timeOut(ids: string[]): Promise<number> {
    let changed = 0;
    for (const id of ids) changed += this.reject(id, "witness_timeout");
    return changed;
  }

  async stats(): Promise<{ counts: Record<EventStatus, number>; pendingBound: number }> {
    return { counts: Object.fromEntries(this.counts) as Record<EventStatus, number>, pendingBound: this.pendingBound() };
  }

  // ---- alarm: re-enqueue what has waited too long ----

  override async alarm(): Promise<void> {
    const now = Date.now();
    // A safety net first: if this run dies (reset, eviction), this alarm resumes the work.
    this.alarmAt = now + SAFETY_MS;
    await this.ctx.storage.setAlarm(this.alarmAt);
    const due = this.sql
      .exec<Row>(
        "SELECT id, envelope, intake_at, attempts FROM events WHERE status = 'pending' AND retry_at <= ? ORDER BY retry_at LIMIT 500",
        now,
      )
      .toArray();
    const resend: WitnessInboxItem[] = [];
    for (const row of due) {
      if (row.attempts >= this.config.ATTEST_MAX_ATTEMPTS) {
        this.reject(row.id, "witness_timeout");
        continue;
      }
      const attempt = row.attempts + 1;
      this.sql.exec("UPDATE events SET attempts = ?, retry_at = ? WHERE id = ?", attempt, now + this.config.ATTEST_TIMEOUT_MS, row.id);
      resend.push({ id: row.id, event: JSON.parse(row.envelope), intakeAt: row.intake_at, attempt });
    }
    // A failed send throws: the safety alarm retries, and the rows above moved forward by
    // one attempt only, so nothing is lost and the bound still holds.
    await Promise.all(resend.map((m) => this.inbox.send(m)));
    await this.forward();
    await this.ctx.storage.deleteAlarm();
    this.alarmAt = null;
    const next = one(this.sql.exec<{ t: number | null }>("SELECT MIN(retry_at) AS t FROM events WHERE status = 'pending'"))?.t;
    if (next !== null && next !== undefined) this.ensureAlarm(Math.max(next, Date.now() + 50));
    if (this.sql.exec("SELECT 1 FROM events WHERE status = 'attested' AND forwarded = 0 LIMIT 1").toArray().length > 0) {
      this.ensureAlarm(Date.now() + FORWARD_RETRY_MS);
    }
  }

  /** One forward at a time; a request during one runs another right after it. */
  private kickForward(): void {
    if (this.forwarding) {
      this.forwardAgain = true;
      return;
    }
    this.forwarding = (async () => {
      do {
        this.forwardAgain = false;
        await this.forward();
      } while (this.forwardAgain);
    })()
      .catch((err) => {
        console.warn("forward failed; alarm will retry", String(err));
        this.ensureAlarm(Date.now() + FORWARD_RETRY_MS);
      })
      .finally(() => {
        this.forwarding = null;
      });
  }

  /** Outbox to the Sequencer: attested, not yet forwarded. Append is idempotent by id. */
  private async forward(): Promise<void> {
    const rows = this.sql
      .exec<{ id: string; envelope: string }>("SELECT id, envelope FROM events WHERE status = 'attested' AND forwarded = 0 LIMIT ?", FORWARD_BATCH)
      .toArray();
    if (rows.length === 0) return;
    try {
      await this.env.SEQUENCER.getByName(SEQUENCER).append(rows.map((r) => ({ id: r.id, event: JSON.parse(r.envelope) })));
    } catch (err) {
      console.warn("forward to sequencer failed; alarm will retry", String(err));
      this.ensureAlarm(Date.now() + FORWARD_RETRY_MS);
      return;
    }
    for (const r of rows) this.sql.exec("UPDATE events SET forwarded = 1 WHERE id = ? AND status = 'attested'", r.id);
    if (rows.length === FORWARD_BATCH) this.ensureAlarm(Date.now());
  }

  // ---- helpers ----

  /**
   * Records a new pending event (synchronously: counter, alarm and row in one step) and hands
   * it to the witness inbox. The returned promise settles when the send does; a failed send
   * is only logged, because the alarm re-enqueues whatever stays pending.
   */
  private recordPending(id: string, event: Record<string, unknown> & { kind: string; author: string }, intakeAt: number): Promise<void> | null {
    const retryAt = intakeAt + this.config.ATTEST_TIMEOUT_MS;
    const cur = this.sql.exec(
      `INSERT INTO events (id, kind, author, envelope, intake_at, status, attempts, retry_at)
       VALUES (?, ?, ?, ?, ?, 'pending', 0, ?) ON CONFLICT (id) DO NOTHING`,
      id,
      event.kind,
      event.author,
      JSON.stringify(event),
      intakeAt,
      retryAt,
    );
    if (cur.rowsWritten === 0) return null; // already recorded (a concurrent submit of the same id)
    this.bump("pending", 1);
    this.ensureAlarm(retryAt);
    return this.inbox
      .send({ id, event, intakeAt, attempt: 0 })
      .catch((err) => console.warn("witness-inbox send failed; alarm will re-enqueue", String(err)));
  }

  private statusOf(id: string): EventStatus | undefined {
    return one(this.sql.exec<{ status: EventStatus }>("SELECT status FROM events WHERE id = ?", id))?.status;
  }

  private reject(id: string, reason: string): number {
    const cur = this.sql.exec("UPDATE events SET status = 'rejected', reason = ? WHERE id = ? AND status = 'pending'", reason, id);
    if (cur.rowsWritten === 0) return 0;
    this.bump("pending", -1);
    this.bump("rejected", 1);
    return 1;
  }

  /** Each shard holds an equal share of INBOX_MAX_PENDING, so the total never exceeds it. */
  private pendingBound(): number {
    return Math.max(1, Math.floor(this.config.INBOX_MAX_PENDING / this.config.EVENT_SHARDS));
  }

  private count(s: EventStatus): number {
    return this.counts.get(s) ?? 0;
  }

  private bump(s: EventStatus, by: number): void {
    this.counts.set(s, this.count(s) + by);
  }

  private ensureAlarm(at: number): void {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    // A failure here means this instance is going away (reset, eviction): its constructor
    // re-arms the alarm from the rows on the next start.
    this.ctx.storage.setAlarm(at).catch(() => {
      if (this.alarmAt === at) this.alarmAt = null;
    });
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
