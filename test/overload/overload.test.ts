// Bounds and timeouts (overload project: INBOX_MAX_PENDING=16 → one pending event per shard,
// ATTEST_TIMEOUT_MS=2000, ATTEST_MAX_ATTEMPTS=1).
import { describe, expect, it } from "vitest";
import { api, expectProblem, freshIp, newIdentity, post, submit, waitForStatus } from "../helpers/client";

const admin = { authorization: "Bearer test-admin-token" };
const setFaults = (body: unknown) => api("POST", "/v1/admin/faults", { body, headers: admin, ip: freshIp() });

describe("inbox bound and witness timeouts", () => {
  it("503 overloaded with Retry-After once the inbox is full; accepted events end rejected witness_timeout", async () => {
    expect((await setFaults({ witnessInboxFailRate: 1 })).status).toBe(200);
    const ip = freshIp();
    // 16 shards × 1 pending each: by pigeonhole, 40 new events cannot all fit.
    const events = await Promise.all(Array.from({ length: 40 }, async () => post(await newIdentity())));
    const results = await Promise.all(events.map((e) => submit(e, ip)));
    const accepted = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status === 503);
    expect(accepted.length + refused.length).toBe(40);
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted.length).toBeLessThanOrEqual(16);
    expect(refused.length).toBeGreaterThanOrEqual(24);
    for (const r of refused) {
      expectProblem(r, 503, "overloaded");
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    const status = await api("GET", "/v1/status", { ip: freshIp() });
    expect(status.body.inbox).toEqual({ pending: accepted.length, max: 16 });

    // Nothing stays pending forever: without witnesses every accepted event times out.
    for (const r of accepted) {
      const done = await waitForStatus(r.body.id, ["rejected"], 30_000);
      expect(done.body.reason).toBe("witness_timeout");
    }
    await setFaults({});
    // Drained: new events are accepted and attested again.
    const fresh = await submit(await post(await newIdentity()), ip);
    expect(fresh.status).toBe(202);
    await waitForStatus(fresh.body.id, ["attested"]);
  });
});

describe("lost inbox messages", () => {
  it("an event whose inbox message is lost is re-enqueued by the shard alarm and attested", async () => {
    expect((await setFaults({ witnessInboxDropRate: 1 })).status).toBe(200);
    const r = await submit(await post(await newIdentity(), "lost and found"), freshIp());
    expect(r.status).toBe(202);
    // The only delivery is dropped; the event stays pending until the alarm re-enqueues it.
    await new Promise((res) => setTimeout(res, 1500));
    expect((await api("GET", `/v1/events/${r.body.id}`)).body.status).toBe("pending");
    await setFaults({});
    const done = await waitForStatus(r.body.id, ["attested"], 15_000);
    expect(done.body.receipt.attestations).toHaveLength(5);
  });
});
