// Configuration from wrangler.toml [vars], validated once per isolate (not at every use).
import { z } from "zod";

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const units = (def: string) => z.string().regex(/^\d+$/).default(def);

export const ConfigSchema = z.object({
  WITNESS_COUNT: int(7, 1),
  COMMITTEE_SIZE: int(5, 1),
  ACCOUNT_SHARDS: int(16, 1),
  BLOCK_MAX_EVENTS: int(500, 1),
  BLOCK_INTERVAL_MS: int(1000, 1),
  EPOCH_MS: int(3_600_000, 1),
  EPOCH_EMISSION: units("1000000000"),
  STORAGE_NODES: int(5, 1),
  REPLICATION_FACTOR: int(3, 1),
  CHUNK_MAX_BYTES: int(1_048_576, 1),
  STORAGE_QUOTA_BYTES: int(104_857_600, 1),
  AUDIT_INTERVAL_MS: int(60_000, 1),
  DHT_NODES: int(32, 1),
  DHT_RECORD_TTL_MS: int(86_400_000, 1),
  INDEX_SHARDS: int(8, 1),
  INDEX_PHRASE_CACHE_MB: int(16, 1).pipe(z.number().max(1024)),
  AD_MARKET_SHARDS: int(4, 1),
  AD_TOKEN_TTL_MS: int(120_000, 1),
  AD_PUBLISHER_SHARE_BPS: int(7000).pipe(z.number().max(10_000)),
  CREATOR_SHARE_BPS: int(7500).pipe(z.number().max(10_000)),
  EVENT_MAX_BYTES: int(65_536, 256),
  CLOCK_SKEW_MS: int(300_000, 1),
  INBOX_MAX_PENDING: int(10_000, 1),
  ECHONET_FAULTS: z.coerce.string().default("0"),
  EVENT_SHARDS: int(16, 1),
  CONTENT_SHARDS: int(16, 1),
  ATTEST_TIMEOUT_MS: int(15_000, 100),
  ATTEST_MAX_ATTEMPTS: int(3, 1),
  // Storage (issue 5), beyond DESIGN §11.
  STORAGE_NODE_CAPACITY_BYTES: int(1_073_741_824, 1),
  STORAGE_NODE_MAX_INFLIGHT: int(32, 1),
  CHUNK_INDEX_SHARDS: int(16, 1),
  AUDIT_MAX_CHUNKS: int(64, 1),
  // Proof of Engagement (issue 8), beyond DESIGN §11: map shards per epoch, recipients per
  // payout batch, and the benchmark bulk-load switch (also on with ECHONET_FAULTS=1).
  POE_SHARDS: int(8, 1),
  POE_BATCH_SIZE: int(200, 1).pipe(z.number().max(500)),
  POE_BULK_LOAD: z.coerce.string().default("0"),
  // Ads (issue 7), beyond DESIGN §11: how long a shard may issue tokens from one budget slice,
  // and the settlement grace after a token's expiresAt before its reservation is released.
  AD_LEASE_MS: int(30_000, 1),
  AD_SETTLE_GRACE_MS: int(30_000, 0),
  // Discovery DHT (issue 6), beyond DESIGN §11: per-peer token bucket (RPCs per second and
  // burst) and in-flight bound, per-query timeout, bucket refresh / record replication period,
  // and the per-node record bound.
  DHT_PEER_RPS: int(100, 1),
  DHT_PEER_BURST: int(200, 1),
  DHT_PEER_MAX_INFLIGHT: int(16, 1),
  DHT_RPC_TIMEOUT_MS: int(2000, 10),
  DHT_REFRESH_MS: int(3_600_000, 1000),
  DHT_MAX_RECORDS: int(100_000, 1),
  /** "1" lets hosted nodes call peers at loopback/private addresses (a local network of peers). */
  DHT_ALLOW_PRIVATE_ADDRS: z.coerce.string().default("0"),
});

export type Config = z.infer<typeof ConfigSchema>;

let cached: { source: object; config: Config } | undefined;

export function getConfig(env: object): Config {
  if (cached?.source === env) return cached.config;
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${z.prettifyError(parsed.error)}`);
  cached = { source: env, config: parsed.data };
  return parsed.data;
}

export const faultsEnabled = (config: Config) => config.ECHONET_FAULTS === "1";

export const poeBulkLoadEnabled = (config: Config) => config.POE_BULK_LOAD === "1" || faultsEnabled(config);
