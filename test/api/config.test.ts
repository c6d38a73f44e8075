// wrangler.toml carries every [vars] of DESIGN §11 with its local default, and the per-IP and
// per-author limits of DESIGN §3/§4.
import { describe, expect, it } from "vitest";
import toml from "../../wrangler.toml?raw";
import { api, freshIp } from "../helpers/client";

const DEFAULTS: Record<string, string> = {
  WITNESS_COUNT: "7", COMMITTEE_SIZE: "5", ACCOUNT_SHARDS: "16", BLOCK_MAX_EVENTS: "500", BLOCK_INTERVAL_MS: "1000",
  EPOCH_MS: "3600000", EPOCH_EMISSION: '"1000000000"', STORAGE_NODES: "5", REPLICATION_FACTOR: "3",
  CHUNK_MAX_BYTES: "1048576", STORAGE_QUOTA_BYTES: "104857600", AUDIT_INTERVAL_MS: "60000", DHT_NODES: "32",
  DHT_RECORD_TTL_MS: "86400000", INDEX_SHARDS: "8", AD_MARKET_SHARDS: "4", AD_TOKEN_TTL_MS: "120000",
  AD_PUBLISHER_SHARE_BPS: "7000", CREATOR_SHARE_BPS: "7500", EVENT_MAX_BYTES: "65536", CLOCK_SKEW_MS: "300000",
  INBOX_MAX_PENDING: "10000", ECHONET_FAULTS: '"0"',
};

describe("wrangler.toml", () => {
  it("declares every DESIGN §11 variable with its local default", () => {
    for (const [k, v] of Object.entries(DEFAULTS)) expect(toml, k).toMatch(new RegExp(`^${k} = ${v}$`, "m"));
  });

  it("declares the rate limits: writes 2,000 and reads 20,000 per IP, 100 events per author, per 10 s", () => {
    const limit = (name: string) => new RegExp(`name = "${name}"\\nnamespace_id = "\\d+"\\nsimple = \\{ limit = (\\d+), period = (\\d+) \\}`).exec(toml);
    expect(limit("IP_WRITE_LIMITER")?.slice(1)).toEqual(["2000", "10"]);
    expect(limit("IP_READ_LIMITER")?.slice(1)).toEqual(["20000", "10"]);
    expect(limit("AUTHOR_LIMITER")?.slice(1)).toEqual(["100", "10"]);
  });

  it("keeps runs offline and gives every queue consumer explicit knobs and a dead-letter queue", () => {
    expect(toml).toMatch(/^send_metrics = false$/m);
    const consumers = toml.split("[[queues.consumers]]").slice(1);
    expect(consumers.length).toBeGreaterThan(0);
    for (const c of consumers) {
      for (const k of ["max_batch_size", "max_batch_timeout", "max_retries"]) expect(c).toContain(k);
      if (!/queue = "[^"]*-dlq"/.test(c)) expect(c).toContain("dead_letter_queue");
    }
  });
});

describe("admin auth", () => {
  const ip = freshIp();
  it("401 unauthorized without or with a wrong bearer token; 400 for bad settings", async () => {
    const r1 = await api("POST", "/v1/admin/faults", { body: {}, ip });
    expect([r1.status, r1.body.code]).toEqual([401, "unauthorized"]);
    const r2 = await api("POST", "/v1/admin/faults", { body: {}, ip, headers: { authorization: "Bearer nope" } });
    expect([r2.status, r2.body.code]).toEqual([401, "unauthorized"]);
    const r3 = await api("POST", "/v1/admin/faults", { body: { witnessInboxFailRate: 2 }, ip, headers: { authorization: "Bearer test-admin-token" } });
    expect([r3.status, r3.body.code]).toEqual([400, "validation_failed"]);
    const r4 = await api("GET", "/v1/admin/faults", { ip, headers: { authorization: "Bearer test-admin-token" } });
    expect(r4.status).toBe(200);
  });
});

describe("health and status", () => {
  it("GET /v1/health and /v1/status", async () => {
    const h = await api("GET", "/v1/health");
    expect(h.body).toEqual({ ok: true, time: expect.any(String) });
    const s = await api("GET", "/v1/status");
    expect(s.status).toBe(200);
    expect(Object.keys(s.body.events).sort()).toEqual(["applied", "attested", "failed", "pending", "rejected"]);
    expect(s.body.inbox.max).toBe(10000);
    expect(s.body.queues["witness-inbox"].lag).toBe(s.body.inbox.pending);
    expect(s.body.shards).toMatchObject({ events: 16, witnesses: 7 });
  });
});
