// WitnessNode: one hosted witness. It generates its Ed25519 key on first use and keeps it in
// its own SQLite; it validates events in batches and signs one attestation per event, ever:
// a redelivered event gets the stored attestation back, never a second one.
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import { sign } from "../lib/crypto";
import { toBase64Url } from "../lib/encoding";
import { attestationPayload } from "../lib/committee";
import { validateForAttestation } from "../witness/checks";
import type { Attestation } from "../schemas/api";
import { one } from "./sqlite";
import { SigningObject } from "./identity";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE identity (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     did TEXT NOT NULL,
     public_key BLOB NOT NULL,
     pkcs8 BLOB NOT NULL
   );
   CREATE TABLE attestations (
     event_id TEXT PRIMARY KEY,
     verdict TEXT NOT NULL,
     reason TEXT,
     sig TEXT NOT NULL,
     attested_at INTEGER NOT NULL
   );`,
];

export interface AttestRequest {
  id: string;
  event: Record<string, unknown>;
  intakeAt: number;
}

export class WitnessNode extends SigningObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, MIGRATIONS);
  }

  /** One attestation per request, in order. Validation and signing happen before any write. */
  async attestBatch(requests: AttestRequest[]): Promise<Attestation[]> {
    const skew = getConfig(this.env).CLOCK_SKEW_MS;
    const before = requests.map((r) => this.stored(r.id));
    const fresh = await Promise.all(
      requests.map(async (r, i) => {
        if (before[i]) return null;
        const outcome = await validateForAttestation(r, skew, this.env);
        const reason = outcome.verdict === "reject" ? outcome.reason : undefined;
        const sig = toBase64Url(await sign(this.privateKey, attestationPayload(r.id, this.did, outcome.verdict, reason)));
        return { verdict: outcome.verdict, reason, sig };
      }),
    );
    // Synchronous from here: INSERT OR IGNORE keeps the first attestation if a concurrent
    // batch (a redelivery) got there first, and we always answer with the stored one.
    const now = Date.now();
    return requests.map((r, i) => {
      const known = before[i];
      if (known) return known;
      const a = fresh[i]!;
      const cur = this.sql.exec(
        "INSERT OR IGNORE INTO attestations (event_id, verdict, reason, sig, attested_at) VALUES (?, ?, ?, ?, ?)",
        r.id,
        a.verdict,
        a.reason ?? null,
        a.sig,
        now,
      );
      if (cur.rowsWritten === 0) return this.stored(r.id)!; // a concurrent batch stored first
      const mine: Attestation = { witness: this.did, verdict: a.verdict, sig: a.sig };
      if (a.reason !== undefined) mine.reason = a.reason;
      return mine;
    });
  }

  async attestationCount(): Promise<number> {
    return one(this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM attestations"))!.n;
  }

  async attestationFor(eventId: string): Promise<Attestation | null> {
    return this.stored(eventId) ?? null;
  }

  private stored(eventId: string): Attestation | undefined {
    const row = one(
      this.sql.exec<{ verdict: "accept" | "reject"; reason: string | null; sig: string }>(
        "SELECT verdict, reason, sig FROM attestations WHERE event_id = ?",
        eventId,
      ),
    );
    if (!row) return undefined;
    const a: Attestation = { witness: this.did, verdict: row.verdict, sig: row.sig };
    if (row.reason !== null) a.reason = row.reason;
    return a;
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
