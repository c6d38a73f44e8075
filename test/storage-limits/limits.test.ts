// Storage limits under concurrency (project "storage-limits": STORAGE_QUOTA_BYTES = 65536,
// STORAGE_NODE_MAX_INFLIGHT = 2).
import { describe, expect, it } from "vitest";
import { api, expectProblem, freshIp, newIdentity, type Identity } from "../helpers/client";
import { putChunk, randomBytes } from "../helpers/storage";

const ip = freshIp();

/** A client that honours 503 + Retry-After (shortened for the test) until a final answer. */
async function putRetrying(who: Identity, bytes: Uint8Array, seen: { overloaded: number }) {
  for (let i = 0; i < 200; i++) {
    const r = await putChunk(who, bytes, { ip });
    if (r.status !== 503) return r;
    expectProblem(r, 503, "overloaded");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    seen.overloaded++;
    await new Promise((res) => setTimeout(res, 5 + Math.random() * 20));
  }
  throw new Error("still overloaded after 200 tries");
}

describe("per-DID quota under concurrent uploads", () => {
  it("20 concurrent 10,000-byte uploads against a 65,536-byte quota: exactly 6 stored, the rest 403 quota_exceeded, never over", async () => {
    const me = await newIdentity();
    const chunks = Array.from({ length: 20 }, () => randomBytes(10_000));
    const seen = { overloaded: 0 };
    const rs = await Promise.all(chunks.map((b) => putRetrying(me, b, seen)));
    const stored = rs.filter((r) => r.status === 201);
    const refused = rs.filter((r) => r.status === 403);
    expect(stored.length + refused.length).toBe(20);
    for (const r of refused) expectProblem(r, 403, "quota_exceeded");
    expect(stored).toHaveLength(6);
    const usage = (await api("GET", `/v1/storage/usage/${me.did}`, { ip })).body;
    expect(usage).toMatchObject({ usedBytes: 60_000, reservedBytes: 0, chunks: 6, quotaBytes: 65_536 });

    // At the quota: re-uploading a stored chunk is still 200 and charges nothing; a new one is 403.
    const again = await putRetrying(me, chunks[rs.indexOf(stored[0]!)]!, seen);
    expect(again.status).toBe(200);
    expectProblem(await putRetrying(me, randomBytes(6000), seen), 403, "quota_exceeded");
    expect((await putRetrying(me, randomBytes(5536), seen)).status).toBe(201);
    expect((await api("GET", `/v1/storage/usage/${me.did}`, { ip })).body.usedBytes).toBe(65_536);
  });
});

describe("bounded in-flight I/O per node", () => {
  it("concurrent uploads beyond the bound get 503 overloaded with Retry-After; retried, all are stored once", async () => {
    const seen = { overloaded: 0 };
    const uploads = await Promise.all(
      Array.from({ length: 24 }, async () => {
        const who = await newIdentity();
        const bytes = randomBytes(30_000);
        return putRetrying(who, bytes, seen);
      }),
    );
    expect(uploads.every((r) => r.status === 201 || r.status === 200)).toBe(true);
    expect(seen.overloaded).toBeGreaterThan(0);
    for (const r of uploads) {
      const meta = (await api("GET", `/v1/chunks/${r.body.cid}/meta`, { ip })).body;
      expect(meta.replicas).toHaveLength(3);
    }
  });
});
