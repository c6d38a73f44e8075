// Bounds and timeouts (overload project: INBOX_MAX_PENDING=16 → one pending event per shard,
// ATTEST_TIMEOUT_MS=2000, ATTEST_MAX_ATTEMPTS=1).
import { describe, expect, it } from "vitest";
import { api, expectProblem, freshIp, newIdentity, post, submit, waitForStatus } from "../helpers/client";
import { selectCommittee, verifyReceipt } from "../../src/lib/committee";
import { eventIdOf, type EnvelopeLike } from "../../src/lib/events";

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
    expect(done.body.receipt.attestations).toHaveLength(done.body.receipt.quorum);
  });
});

describe("a witness that is down", () => {
  it("a committee with one member down still attests, with the member after the quorum; two members down and the event times out", async () => {
    const { body: set } = await api("GET", "/v1/witnesses", { ip: freshIp() });
    const dids: string[] = set.witnesses.map((w: { did: string }) => w.did); // witness-0, witness-1, … in order
    const committeeOf = async (ev: unknown) => selectCommittee(await eventIdOf(ev as EnvelopeLike), dids, set.committeeSize);
    const me = await newIdentity();
    // Events whose first-asked members (the quorum with the lowest scores) include witness-0,
    // whose do not, and whose committee holds both witness-0 and witness-1.
    type Picked = { ev: Awaited<ReturnType<typeof post>>; committee: string[] };
    let asked: Picked | undefined, notAsked: Picked | undefined, both: Picked | undefined;
    for (let i = 0; i < 200 && !(asked && notAsked && both); i++) {
      const ev = await post(me, `witness down ${i}`);
      const committee = await committeeOf(ev);
      const first = committee.slice(0, set.quorum);
      if (first.includes(dids[0]!) && !committee.includes(dids[1]!)) asked ??= { ev, committee };
      else if (!first.includes(dids[0]!) && !committee.includes(dids[1]!)) notAsked ??= { ev, committee };
      if (committee.includes(dids[0]!) && committee.includes(dids[1]!)) both ??= { ev, committee };
    }
    expect(asked && notAsked && both).toBeTruthy();

    expect((await setFaults({ witnessDown: ["witness-0"] })).status).toBe(200);
    const ip = freshIp();
    const [a, n] = await Promise.all([submit(asked!.ev, ip), submit(notAsked!.ev, ip)]);
    expect([a.status, n.status]).toEqual([202, 202]);
    const doneA = await waitForStatus(a.body.id, ["attested"]);
    const doneN = await waitForStatus(n.body.id, ["attested"]);
    const witnessesOf = (d: typeof doneA) => d.body.receipt.attestations.map((x: { witness: string }) => x.witness);
    // witness-0 was among the first asked and failed: the fifth member made up the quorum.
    expect(witnessesOf(doneA)).toEqual(asked!.committee.filter((d) => d !== dids[0]));
    // witness-0 was not among the first asked: the quorum alone, as when every witness is up.
    expect(witnessesOf(doneN)).toEqual(notAsked!.committee.slice(0, set.quorum));
    for (const d of [doneA, doneN]) {
      expect(d.body.receipt.attestations).toHaveLength(set.quorum);
      expect((await verifyReceipt(d.body.id, d.body.receipt, set)).ok).toBe(true);
    }

    // Two members down: 3 of 5 can never make a quorum of 4; nothing stays pending forever.
    expect((await setFaults({ witnessDown: ["witness-0", "witness-1"] })).status).toBe(200);
    const b = await submit(both!.ev, ip);
    expect(b.status).toBe(202);
    const doneB = await waitForStatus(b.body.id, ["rejected"], 30_000);
    expect(doneB.body.reason).toBe("witness_timeout");
    await setFaults({});
  });
});
