// AccountShard: balances, escrowed amounts and reputation of the DIDs that hash to this
// shard, versioned by block height. The block executor writes each block's changes once,
// keyed by (height, shard): a repeat is a no-op, and reads at any past height never change.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { AccountWire } from "../ledger/executor";
import { migrate, one } from "./sqlite";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE versions (
     did TEXT NOT NULL,
     height INTEGER NOT NULL,
     balance TEXT NOT NULL,
     escrowed TEXT NOT NULL,
     reputation INTEGER NOT NULL,
     PRIMARY KEY (did, height)
   ) WITHOUT ROWID;
   CREATE TABLE applied (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), height INTEGER NOT NULL);
   INSERT INTO applied (singleton, height) VALUES (1, 0);`,
];

const ZERO: AccountWire = { balance: "0", escrowed: "0", reputation: 0 };

export class AccountShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private appliedHeight = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql, MIGRATIONS);
      this.appliedHeight = one(this.sql.exec<{ height: number }>("SELECT height FROM applied"))!.height;
    });
  }

  /** State of each DID as of `height` (unknown accounts are zero). */
  async read(dids: string[], height: number): Promise<Record<string, AccountWire>> {
    const out: Record<string, AccountWire> = {};
    for (const did of dids) out[did] = this.at(did, height);
    return out;
  }

  /**
   * Writes block `height`'s final values for the changed DIDs. Blocks arrive in height order,
   * every block to every shard; a block already applied is acknowledged and ignored.
   */
  async applyBlock(height: number, changes: Record<string, AccountWire>): Promise<{ applied: number }> {
    if (height <= this.appliedHeight) return { applied: this.appliedHeight };
    if (height !== this.appliedHeight + 1) throw new Error(`AccountShard: block ${height} out of order (applied ${this.appliedHeight})`);
    for (const [did, a] of Object.entries(changes)) {
      this.sql.exec(
        "INSERT OR REPLACE INTO versions (did, height, balance, escrowed, reputation) VALUES (?, ?, ?, ?, ?)",
        did,
        height,
        a.balance,
        a.escrowed,
        a.reputation,
      );
    }
    this.sql.exec("UPDATE applied SET height = ?", height);
    this.appliedHeight = height;
    return { applied: height };
  }

  async appliedHeightNow(): Promise<number> {
    return this.appliedHeight;
  }

  private at(did: string, height: number): AccountWire {
    const row = one(
      this.sql.exec<{ balance: string; escrowed: string; reputation: number }>(
        "SELECT balance, escrowed, reputation FROM versions WHERE did = ? AND height <= ? ORDER BY height DESC LIMIT 1",
        did,
        height,
      ),
    );
    return row ? { balance: row.balance, escrowed: row.escrowed, reputation: row.reputation } : ZERO;
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
