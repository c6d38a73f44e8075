// Many clients at once: distinct events all attested; resubmissions of one event are one event
// with one receipt; queue redelivery of an inbox message makes no second attestation.
import { describe, expect, it } from "vitest";
import { createExecutionContext, createMessageBatch, env, getQueueResult, runInDurableObject } from "cloudflare:test";
import worker from "../../src/workers/index";
import { api, freshIp, newIdentity, post, submit, until, waitForStatus } from "../helpers/client";
import { getWitnessSet } from "../../src/witness/registry";

const ip = freshIp();

async function attestationRows(eventId: string) {
  const witnesses = await getWitnessSet(env);
  const rows = await Promise.all(
    witnesses.map((w) =>
      runInDurableObject(env.WITNESS_NODE.getByName(w.name), (_i, state) =>
        state.storage.sql.exec<{ sig: string; attested_at: number }>("SELECT sig, attested_at FROM attestations WHERE event_id = ?", eventId).toArray(),
      ),
    ),
  );
  return rows.flat();
}

describe("concurrent clients", () => {
  it("100 concurrent distinct events all reach attested", async () => {
    const authors = await Promise.all(Array.from({ length: 10 }, () => newIdentity()));
    const events = await Promise.all(Array.from({ length: 100 }, (_, i) => post(authors[i % 10]!, `concurrent ${i}`)));
    const results = await Promise.all(events.map((e) => submit(e, ip)));
    expect(results.map((r) => r.status)).toEqual(Array(100).fill(202));
    const ids = new Set(results.map((r) => r.body.id));
    expect(ids.size).toBe(100);
    await until(
      async () => Promise.all([...ids].map((id) => api("GET", `/v1/events/${id}`, { ip }))),
      (rs) => rs.every((r) => r.body.status === "attested"),
      30_000,
      "100 events to be attested",
    );
  });

  it("50 concurrent resubmissions of one event: one 202, one event, one receipt", async () => {
    const ev = await post(await newIdentity(), "say it fifty times");
    const results = await Promise.all(Array.from({ length: 50 }, () => submit(ev, ip)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    const id = results[0]!.body.id;
    expect(results.every((r) => r.body.id === id)).toBe(true);
    const done = await waitForStatus(id, ["attested"]);
    // Exactly one attestation per committee member asked (the first quorum), and nothing else.
    const rows = await attestationRows(id);
    expect(rows).toHaveLength(done.body.receipt.quorum);
    expect(rows.map((r) => r.sig).sort()).toEqual(done.body.receipt.attestations.map((a: { sig: string }) => a.sig).sort());
    const again = await Promise.all(Array.from({ length: 10 }, () => submit(ev, ip)));
    expect(again.every((r) => r.status === 200 && r.body.status === "attested")).toBe(true);
    expect((await api("GET", `/v1/events/${id}`, { ip })).body).toEqual(done.body);
  });

  it("redelivering the same witness-inbox message (also concurrently) produces no second attestation", async () => {
    const ev = await post(await newIdentity(), "deliver me twice");
    const accepted = await submit(ev, ip);
    const id = accepted.body.id;
    const first = await waitForStatus(id, ["attested"]);
    const before = await attestationRows(id);
    expect(before).toHaveLength(first.body.receipt.quorum);

    const message = { id, event: ev, intakeAt: Date.now(), attempt: 0 };
    const deliver = async () => {
      const batch = createMessageBatch("witness-inbox", [{ id: `redelivery-${id}`, timestamp: new Date(), attempts: 2, body: message }]);
      const ctx = createExecutionContext();
      await worker.queue(batch as MessageBatch<unknown>, env, ctx);
      return getQueueResult(batch, ctx);
    };
    const results = [await deliver(), ...(await Promise.all([deliver(), deliver()]))];
    for (const r of results) expect(r.explicitAcks).toEqual([`redelivery-${id}`]);
    // The packed form EventShards send: the same event inside a message of several.
    const other = await submit(await post(await newIdentity(), "packed neighbour"), ip);
    await waitForStatus(other.body.id, ["attested", "applied"]);
    const packed = createMessageBatch("witness-inbox", [
      { id: `packed-${id}`, timestamp: new Date(), attempts: 2, body: { events: [message, { id: other.body.id, event: (await api("GET", `/v1/events/${other.body.id}`, { ip })).body.event, intakeAt: Date.now(), attempt: 0 }] } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(packed as MessageBatch<unknown>, env, ctx);
    expect((await getQueueResult(packed, ctx)).explicitAcks).toEqual([`packed-${id}`]);

    const after = await attestationRows(id);
    expect(after).toEqual(before); // same rows: same signatures, never re-written
    const now = (await api("GET", `/v1/events/${id}`, { ip })).body;
    expect(now.receipt.attestations).toEqual(first.body.receipt.attestations); // the same receipt, whatever the status by now
    expect(now.receipt.committee).toEqual(first.body.receipt.committee);
  });

  it("with duplicated deliveries injected, every event still has one attestation per committee member asked", async () => {
    const headers = { authorization: "Bearer test-admin-token" };
    expect((await api("POST", "/v1/admin/faults", { body: { witnessInboxDuplicateRate: 1 }, headers, ip })).status).toBe(200);
    try {
      const events = await Promise.all(Array.from({ length: 20 }, async () => post(await newIdentity(), "dup")));
      const results = await Promise.all(events.map((e) => submit(e, ip)));
      for (const r of results) {
        const done = await waitForStatus(r.body.id, ["attested"]);
        expect(await attestationRows(r.body.id)).toHaveLength(done.body.receipt.quorum);
      }
    } finally {
      await api("POST", "/v1/admin/faults", { body: {}, headers, ip });
    }
  });
});
