import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";

declare const process: { env: Record<string, string | undefined> };

// Every test runs inside workerd with the real bindings of wrangler.toml (DOs, Queues, R2,
// Rate Limiting), offline. Projects: the default configuration ("api"); "overload" with a
// tiny inbox bound and a short attestation timeout, so that 503 overloaded and witness
// timeouts are reachable quickly; "storage-limits"; and "chaos" for DO resets.
const base = (bindings: Record<string, string>, miniflare: Record<string, unknown> = {}) =>
  cloudflareTest({
    wrangler: { configPath: "./wrangler.toml" },
    remoteBindings: false,
    miniflare: { bindings: { ADMIN_TOKEN: "test-admin-token", ECHONET_FAULTS: "1", ...bindings }, ...miniflare },
  });


const hostEnv = (k: string): string | undefined => (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[k];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 15_000,
    projects: [
      {
        extends: true,
        plugins: [base({})],
        test: { name: "api", include: ["test/**/*.test.ts"], exclude: ["test/overload/**", "test/storage-limits/**", "test/chaos/**", "test/chaos-traffic/**", "test/poe-epochs/**", "test/ads/**", "test/dht/**", "test/dht-256/**"] },
      },
      {
        extends: true,
        plugins: [base({ INBOX_MAX_PENDING: "16", ATTEST_TIMEOUT_MS: "2000", ATTEST_MAX_ATTEMPTS: "1" })],
        test: { name: "overload", include: ["test/overload/**/*.test.ts"] },
      },
      // Storage limits (issue 5): a 64 KiB quota per DID and 2 in-flight I/Os per node, so
      // quota races and 503 overloaded are reachable with small chunks.
      {
        extends: true,
        plugins: [base({ STORAGE_QUOTA_BYTES: "65536", STORAGE_NODE_MAX_INFLIGHT: "2" })],
        test: { name: "storage-limits", include: ["test/storage-limits/**/*.test.ts"] },
      },
      // Proof of Engagement (issue 8): 3-second epochs, so epochs close by themselves.
      {
        extends: true,
        plugins: [base({ EPOCH_MS: "3000" })],
        test: { name: "poe-epochs", include: ["test/poe-epochs/**/*.test.ts"] },
      },
      // Ads (issue 7): short token TTL, settlement grace and slice window, so expiry (410) and
      // slice release are reachable within a test.
      {
        extends: true,
        plugins: [base({ AD_TOKEN_TTL_MS: "4000", AD_SETTLE_GRACE_MS: "1000", AD_LEASE_MS: "3000" })],
        test: { name: "ads", include: ["test/ads/**/*.test.ts"] },
      },
      // Chaos: tests that reset every Durable Object run in their own workerd instance.
      {
        extends: true,
        plugins: [base({})],
        test: { name: "chaos", include: ["test/chaos/**/*.test.ts"] },
      },
      // Chaos traffic (issue 9): mixed traffic while faults fire (queue failures and
      // duplicates, DO resets, dropped and corrupted replicas), then the invariants. Its own
      // workerd, because the fault settings are global. CHAOS_MS sets the traffic duration
      // (`npm run chaos` runs it longer).
      {
        extends: true,
        plugins: [base({ CHAOS_MS: hostEnv("CHAOS_MS") ?? "8000", CHAOS_SEED: hostEnv("CHAOS_SEED") ?? "" })],
        test: { name: "chaos-traffic", include: ["test/chaos-traffic/**/*.test.ts"], testTimeout: 900_000 },
      },
      // Discovery DHT (issue 6): 64 hosted nodes, 4 s record TTL (expiry and republish are
      // reachable), and an external Kademlia peer as a second worker that receives every
      // outbound fetch (test/dht/peer-worker.js); 256 nodes in their own project.
      {
        extends: true,
        plugins: [
          base(
            { DHT_NODES: "64", DHT_RECORD_TTL_MS: "4000", DHT_RPC_TIMEOUT_MS: "1000", DHT_PEER_RPS: "20", DHT_PEER_BURST: "40" },
            { outboundService: "dht-peer", workers: [{ name: "dht-peer", modules: true, scriptPath: "./test/dht/peer-worker.js", compatibilityDate: "2026-04-01" }] },
          ),
        ],
        test: { name: "dht", include: ["test/dht/**/*.test.ts"] },
      },
      // 256 nodes. The installed pool nested one Proxy per DO construction (workers-sdk#15092);
      // scripts/patch-deps.mjs (postinstall) applies upstream's fix, so 256 DhtNodes now fit.
      {
        extends: true,
        plugins: [base({ DHT_NODES: "256", DHT_RPC_TIMEOUT_MS: "15000" })],
        test: { name: "dht-256", include: ["test/dht-256/**/*.test.ts"] },
      },
    ],
  },
});
