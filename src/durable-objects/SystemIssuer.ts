// SystemIssuer: the deployment's own identity. It holds the system key (made once, kept only
// here) and turns internal requests (admin mint and reputation now; ad settlements, PoE
// payouts and timers later) into signed sys.* events that travel the same path as every other
// event: EventShard → witnesses → Sequencer → block. One key, one event: issuing the same key
// again returns the event already made.
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import { eventIdOf, signEvent } from "../lib/events";
import { sha256HexSync } from "../lib/hash";
import type { SystemKind } from "../schemas/events";
import { shardFor } from "../workers/shards";
import { one } from "./sqlite";
import { SigningObject } from "./identity";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE identity (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), did TEXT NOT NULL, public_key BLOB NOT NULL, pkcs8 BLOB NOT NULL);
   CREATE TABLE issued (
     key TEXT PRIMARY KEY,
     id TEXT NOT NULL,
     envelope TEXT NOT NULL,
     submitted INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX issued_unsubmitted ON issued (submitted) WHERE submitted = 0;`,
];

const RETRY_MS = 1000;

export class SystemIssuer extends SigningObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, MIGRATIONS);
  }

  /** Issues (or finds) the system event for `body.key`; normally resolves once it is recorded. */
  async issue(kind: SystemKind, body: Record<string, unknown> & { key: string }): Promise<{ id: string }> {
    const key = `${kind}|${body.key}`;
    const existing = this.issuedFor(key);
    if (existing) {
      if (!existing.submitted) await this.submit([existing]);
      return { id: existing.id };
    }
    const unsigned = { v: 1, kind, author: this.did, nonce: sha256HexSync(key), createdAt: new Date().toISOString(), body };
    const event = await signEvent(unsigned, this.privateKey);
    const id = await eventIdOf(event);
    // Reserve → submit → commit: the key is bound to this event before the call leaves the DO.
    this.sql.exec("INSERT OR IGNORE INTO issued (key, id, envelope) VALUES (?, ?, ?)", key, id, JSON.stringify(event));
    const row = this.issuedFor(key)!; // a concurrent issue of the same key may have won
    if (!row.submitted) await this.submit([row]);
    return { id: row.id };
  }

  override async alarm(): Promise<void> {
    const rows = this.sql.exec<{ key: string; id: string; envelope: string; submitted: number }>("SELECT * FROM issued WHERE submitted = 0 LIMIT 200").toArray();
    await this.submit(rows.map((r) => ({ key: r.key, id: r.id, envelope: r.envelope, submitted: false })));
  }

  private issuedFor(key: string) {
    const r = one(this.sql.exec<{ key: string; id: string; envelope: string; submitted: number }>("SELECT * FROM issued WHERE key = ?", key));
    return r ? { key: r.key, id: r.id, envelope: r.envelope, submitted: r.submitted === 1 } : undefined;
  }

  private async submit(rows: { key: string; id: string; envelope: string }[]): Promise<void> {
    if (rows.length === 0) return;
    const shards = getConfig(this.env).EVENT_SHARDS;
    try {
      await Promise.all(rows.map((r) => this.env.EVENT_SHARD.getByName(shardFor(r.id, shards)).submitSystem(r.id, JSON.parse(r.envelope))));
      for (const r of rows) this.sql.exec("UPDATE issued SET submitted = 1 WHERE key = ?", r.key);
    } catch (err) {
      // Reserved durably above: the alarm finishes the submission, so the id stays valid.
      console.warn("system event submission failed; retrying by alarm", String(err));
      await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
    }
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
