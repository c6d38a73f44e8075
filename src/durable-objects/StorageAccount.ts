// StorageAccount: one per DID (named by the DID): the owner of that DID's storage quota.
// Uploads reserve → store → commit (or release) with the CID as idempotency key, so
// concurrent uploads can never exceed STORAGE_QUOTA_BYTES and a CID is charged once per DID.
// A reservation is a lease: an alarm releases it if its holder vanishes.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { migrate, one } from "./sqlite";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE charges (
     cid TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     state TEXT NOT NULL,            -- 'reserved' | 'committed'
     holders INTEGER NOT NULL,       -- requests holding a reservation
     expires_at INTEGER NOT NULL
   );`,
];

export const QUOTA_LEASE_MS = 60_000;

export type ReserveResult = { ok: true; alreadyCharged: boolean } | { ok: false; usedBytes: number; quotaBytes: number };

export class StorageAccount extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(this.sql, MIGRATIONS));
  }

  /** Synchronous check-and-reserve. A CID already reserved or charged costs nothing more. */
  async reserve(cid: string, size: number, quotaBytes: number): Promise<ReserveResult> {
    const now = Date.now();
    const row = one(this.sql.exec<{ state: string }>("SELECT state FROM charges WHERE cid = ?", cid));
    if (row) {
      if (row.state === "reserved") this.sql.exec("UPDATE charges SET holders = holders + 1, expires_at = ? WHERE cid = ?", now + QUOTA_LEASE_MS, cid);
      return { ok: true, alreadyCharged: row.state === "committed" };
    }
    const used = this.total();
    if (used + size > quotaBytes) return { ok: false, usedBytes: used, quotaBytes };
    this.sql.exec("INSERT INTO charges (cid, size, state, holders, expires_at) VALUES (?, ?, 'reserved', 1, ?)", cid, size, now + QUOTA_LEASE_MS);
    this.armLeaseAlarm(now + QUOTA_LEASE_MS);
    return { ok: true, alreadyCharged: false };
  }

  /** The chunk is stored: the reservation becomes a charge (idempotent). */
  async commit(cid: string): Promise<void> {
    this.sql.exec("UPDATE charges SET state = 'committed', holders = 0 WHERE cid = ?", cid);
  }

  /** The upload failed: drop this holder's reservation; the bytes are free again when no one holds it. */
  async release(cid: string): Promise<void> {
    this.sql.exec("UPDATE charges SET holders = holders - 1 WHERE cid = ? AND state = 'reserved'", cid);
    this.sql.exec("DELETE FROM charges WHERE cid = ? AND state = 'reserved' AND holders <= 0", cid);
  }

  async usage(): Promise<{ usedBytes: number; reservedBytes: number; chunks: number }> {
    const r = one(
      this.sql.exec<{ used: number; reserved: number; n: number }>(
        "SELECT COALESCE(SUM(CASE WHEN state = 'committed' THEN size END), 0) AS used, COALESCE(SUM(CASE WHEN state = 'reserved' THEN size END), 0) AS reserved, SUM(state = 'committed') AS n FROM charges",
      ),
    )!;
    return { usedBytes: r.used, reservedBytes: r.reserved, chunks: r.n ?? 0 };
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec("DELETE FROM charges WHERE state = 'reserved' AND expires_at <= ?", now);
    const next = one(this.sql.exec<{ t: number | null }>("SELECT MIN(expires_at) AS t FROM charges WHERE state = 'reserved'"))!.t;
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  private total(): number {
    return one(this.sql.exec<{ n: number }>("SELECT COALESCE(SUM(size), 0) AS n FROM charges"))!.n;
  }

  private armLeaseAlarm(at: number): void {
    // Fire-and-forget: setAlarm is this DO's own storage; an earlier alarm covers later leases.
    void this.ctx.storage.getAlarm().then((cur) => (cur === null || cur > at ? this.ctx.storage.setAlarm(at) : undefined));
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
