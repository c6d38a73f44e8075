// Benchmark reference worker: POST /ref reads the body, makes ONE RPC to ONE SQLite-backed
// Durable Object, which does ONE INSERT. Nothing else: no validation, no crypto, no queues.
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";

interface RefEnv {
  REF_STORE: DurableObjectNamespace<RefStore>;
}

export class RefStore extends DurableObject<RefEnv> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: RefEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS writes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, at INTEGER NOT NULL)");
  }

  async write(body: string): Promise<void> {
    this.sql.exec("INSERT INTO writes (body, at) VALUES (?, ?)", body, Date.now());
  }
}

const app = new Hono<{ Bindings: RefEnv }>();

app.post("/ref", async (c) => {
  const body = await c.req.text();
  await c.env.REF_STORE.getByName("ref").write(body);
  return c.json({ ok: true }, 202);
});

app.get("/health", (c) => c.json({ ok: true }));

export default app;
