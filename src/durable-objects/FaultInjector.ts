// FaultInjector: the fault settings of a test or chaos run (only reachable when
// ECHONET_FAULTS=1). One instance; consumers read it once per batch.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { FaultSettings } from "../schemas/api";
import { migrate, one } from "./sqlite";

const MIGRATIONS = [`CREATE TABLE settings (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), json TEXT NOT NULL);`];

export class FaultInjector extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => migrate(ctx.storage.sql, MIGRATIONS));
  }

  async get(): Promise<FaultSettings> {
    const row = one(this.ctx.storage.sql.exec<{ json: string }>("SELECT json FROM settings"));
    return row ? JSON.parse(row.json) : {};
  }

  async set(settings: FaultSettings): Promise<FaultSettings> {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO settings (singleton, json) VALUES (1, ?)", JSON.stringify(settings));
    return settings;
  }
}
