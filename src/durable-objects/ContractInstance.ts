// ContractInstance: the state of one native contract instance, versioned by block height.
// Calls are processed one at a time, in sequence order, by the block executor; this DO keeps
// each block's resulting state exactly once and serves reads at any settled height.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { ContractState } from "../ledger/contracts";
import { migrate, one } from "./sqlite";
import { abortSelf } from "./fault-reset";

const MIGRATIONS = [
  `CREATE TABLE versions (height INTEGER PRIMARY KEY, state TEXT NOT NULL);`,
];

export class ContractInstance extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(this.sql, MIGRATIONS));
  }

  async read(height: number): Promise<{ state: ContractState; height: number } | null> {
    const row = one(this.sql.exec<{ height: number; state: string }>("SELECT height, state FROM versions WHERE height <= ? ORDER BY height DESC LIMIT 1", height));
    return row ? { state: JSON.parse(row.state), height: row.height } : null;
  }

  /** Idempotent: the state of block `height` is written once. */
  async applyBlock(height: number, state: ContractState): Promise<void> {
    this.sql.exec("INSERT OR IGNORE INTO versions (height, state) VALUES (?, ?)", height, JSON.stringify(state));
  }

  /** Fault injection only (ECHONET_FAULTS=1, POST /v1/admin/faults): drop this instance as a crash would. */
  async faultReset(): Promise<void> {
    abortSelf(this.ctx, this.env);
  }
}
