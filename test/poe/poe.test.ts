// Proof of Engagement through the public API (DESIGN §8): engagement from pre-trusted
// accounts earns, self-engagement, repeats and a ring of fresh accounts earn nothing; an
// epoch closed twice (and with every queue message redelivered) pays once; payouts sum to
// the pool; the supply identity holds before and after.
import { afterAll, describe, expect, it } from "vitest";
import { api, expectProblem, freshIp, newIdentity, post, signedEvent, submit, until, type Identity } from "../helpers/client";
import { account, ADMIN, waitFinal } from "../helpers/ledger";

const ip = freshIp();
const EMISSION = 1_000_000_000n;

async function applied(event: Record<string, unknown>): Promise<string> {
  const r = await submit(event, ip);
  expect(r.status).toBe(202);
  const done = await waitFinal(r.body.id);
  expect(done.body.status).toBe("applied");
  return r.body.id;
}
const engage = (who: Identity, kind: string, target: string) =>
  signedEvent(who, `interaction.${kind}`, kind === "comment" ? { target, text: "nice" } : { target });

async function seed(did: string, score: number) {
  const r = await api("POST", "/v1/admin/reputation", { body: { did, score }, headers: ADMIN, ip });
  expect(r.status).toBe(202);
  expect((await waitFinal(r.body.id)).body.status).toBe("applied");
}

async function supply() {
  const r = await api("GET", "/v1/ledger/supply", { ip });
  expect(r.status).toBe(200);
  const s = r.body;
  expect(BigInt(s.minted) - BigInt(s.burned)).toBe(BigInt(s.circulating) + BigInt(s.escrowed) + BigInt(s.inFlight));
  return s;
}

async function close(epoch?: number) {
  const r = await api("POST", "/v1/admin/poe/close", { body: epoch === undefined ? {} : { epoch }, headers: ADMIN, ip });
  expect(r.status).toBe(202);
  return r.body as { epoch: number; id: string; status: string };
}

const distributed = (n: number) =>
  until(() => api("GET", `/v1/poe/epochs/${n}`, { ip }), (r) => r.status === 200 && r.body.status === "distributed", 45_000, `epoch ${n} distributed`);

afterAll(async () => {
  await api("POST", "/v1/admin/faults", { body: { poeRedeliverRate: 0 }, headers: ADMIN, ip });
});

describe("proof of engagement", () => {
  it("pre-trusted engagement earns; self, repeats and a fresh ring earn nothing; closing twice with redelivered messages pays once", async () => {
    // Start from a fresh epoch: once the current one's close is applied, later engagements
    // join the next.
    await waitFinal((await close()).id);
    const [creator, t1, t2, r1, r2, r3] = await Promise.all([newIdentity(), newIdentity(), newIdentity(), newIdentity(), newIdentity(), newIdentity()]);
    await Promise.all([seed(t1.did, 10), seed(t2.did, 5)]);
    const [p, q1, q2, q3] = await Promise.all([post(creator), post(r1), post(r2), post(r3)].map(async (e) => applied(await e))) as [string, string, string, string];
    // Every poe-engagement and poe-batches message is delivered a second time.
    expect((await api("POST", "/v1/admin/faults", { body: { poeRedeliverRate: 1 }, headers: ADMIN, ip })).status).toBe(200);

    const before = await supply();
    await Promise.all(
      [
        engage(t1, "like", p), // 5 × 10000
        engage(t1, "like", p), // a repeat: zero
        engage(t2, "share", p), // 15 × 5000
        engage(t2, "view", p), // 1 × 5000
        engage(creator, "like", p), // self: zero
        engage(creator, "comment", p), // self: zero
        engage(r1, "like", q2), // the fresh ring: zero
        engage(r2, "like", q3),
        engage(r3, "like", q1),
        engage(r1, "share", q3),
        engage(t1, "like", q1), // a trusted like of ring member r1's post: 50000
      ].map(async (e) => applied(await e)),
    );
    const cur = await api("GET", "/v1/poe/epochs/current", { ip });
    expect(cur.status).toBe(200);
    expect(cur.body).toMatchObject({ status: "open", totalScore: 0, recipients: 0, emission: EMISSION.toString() });
    const n = cur.body.epoch as number;

    const first = await close();
    expect(first.epoch).toBe(n);
    const again = await close(n); // idempotent per epoch: the same event
    expect(again.id).toBe(first.id);
    const epoch = (await distributed(n)).body;
    expect(epoch).toMatchObject({ epoch: n, status: "distributed", adRevenue: "0", emission: EMISSION.toString(), pool: EMISSION.toString(), totalScore: 180_000, recipients: 4 });
    expect(Date.parse(epoch.endsAt) - Date.parse(epoch.startsAt)).toBeGreaterThan(0);

    // Creators (75 %): creator 130000 / r1 50000 of 180000. Curators (25 %): t1 100000, t2 80000.
    const creatorPool = (EMISSION * 7500n) / 10_000n;
    const curatorPool = EMISSION - creatorPool;
    const expected: Record<string, { creator: bigint; curator: bigint }> = {
      [creator.did]: { creator: 541_666_667n, curator: 0n },
      [r1.did]: { creator: 208_333_333n, curator: 0n },
      [t1.did]: { creator: 0n, curator: 138_888_889n },
      [t2.did]: { creator: 0n, curator: 111_111_111n },
    };
    let paid = 0n;
    for (const [did, e] of Object.entries(expected)) {
      const r = await api("GET", `/v1/poe/epochs/${n}/rewards/${did}`, { ip });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ epoch: n, did, creator: e.creator.toString(), curator: e.curator.toString(), total: (e.creator + e.curator).toString() });
      expect((await account(did)).balance).toBe((e.creator + e.curator).toString());
      paid += e.creator + e.curator;
    }
    expect(paid).toBe(creatorPool + curatorPool);
    for (const fresh of [r2, r3]) expectProblem(await api("GET", `/v1/poe/epochs/${n}/rewards/${fresh.did}`, { ip }), 404, "not_found");

    // Reputation: decays 10 % per epoch (10 → 9, 5 → 4); creators gain from weighted
    // engagement received (130000 → +2, 50000 → +1); the fresh ring stays at 0.
    const status = (await api("GET", "/v1/status", { ip })).body;
    expect(status.queues["poe-engagement"]).toEqual({ lag: expect.any(Number) });
    expect(status.queues["poe-batches"]).toEqual({ lag: expect.any(Number) });
    expect((await account(t1.did)).reputation).toBe(9);
    expect((await account(t2.did)).reputation).toBe(4);
    expect((await account(creator.did)).reputation).toBe(2);
    expect((await account(r1.did)).reputation).toBe(1);
    expect((await account(r3.did)).reputation).toBe(0);

    // Emission minted once, at payout; closing again later changes nothing.
    const after = await supply();
    expect(BigInt(after.minted) - BigInt(before.minted)).toBeGreaterThanOrEqual(EMISSION);
    expect((await close(n)).id).toBe(first.id);
    const latest = (await api("GET", "/v1/blocks/latest", { ip })).body.height;
    await until(() => api("GET", "/v1/ledger/supply", { ip }), (r) => r.body.height >= latest, 20_000, "settled");
    for (const [did, e] of Object.entries(expected)) expect((await account(did)).balance).toBe((e.creator + e.curator).toString());
    await supply();
  });

  it("an epoch with no eligible engagement pays nothing and mints nothing", async () => {
    const [a, b] = await Promise.all([newIdentity(), newIdentity()]);
    const q = await applied(await post(a));
    await waitFinal((await close()).id); // start a fresh epoch
    await applied(await engage(b, "like", q)); // fresh engager: zero weight
    const { epoch: n } = await close();
    const e = (await distributed(n)).body;
    expect(e).toMatchObject({ epoch: n, status: "distributed", emission: "0", pool: "0", totalScore: 0, recipients: 0 });
    expectProblem(await api("GET", `/v1/poe/epochs/${n}/rewards/${a.did}`, { ip }), 404, "not_found");
    expect((await account(a.did)).balance).toBe("0");
    await supply();
  });

  it("the benchmark bulk load feeds the same map shards and counts; it is admin-only and validated", async () => {
    const [fan, creator] = await Promise.all([newIdentity(), newIdentity()]);
    // A fresh epoch first, then the seed: the closed epoch's snapshot predates it, so its
    // payout does not decay the fan's reputation before this epoch closes.
    await waitFinal((await close()).id);
    await seed(fan.did, 10);
    const target = "ab".repeat(32);
    const rows = [
      { id: "1", kind: "like", engager: fan.did, target, creator: creator.did },
      { id: "2", kind: "like", engager: fan.did, target, creator: creator.did }, // a repeat
      { id: "3", kind: "view", engager: creator.did, target, creator: creator.did }, // self
    ];
    const source = `t${Date.now()}`;
    const load = await api("POST", "/v1/admin/poe/bulk", { body: { source, engagements: rows }, headers: ADMIN, ip });
    expect(load.status).toBe(200);
    const again = await api("POST", "/v1/admin/poe/bulk", { body: { source, engagements: rows }, headers: ADMIN, ip }); // idempotent
    expect(again.body).toEqual(load.body);
    expectProblem(await api("POST", "/v1/admin/poe/bulk", { body: { source, engagements: [{ ...rows[0], kind: "poke" }] }, headers: ADMIN, ip }), 400, "validation_failed");
    expectProblem(await api("POST", "/v1/admin/poe/bulk", { body: { source, engagements: rows }, ip }), 401, "unauthorized");
    const { epoch: n } = await close();
    expect(n).toBe(load.body.epoch);
    expect((await distributed(n)).body).toMatchObject({ totalScore: 50_000, recipients: 2 });
    expect((await api("GET", `/v1/poe/epochs/${n}/rewards/${creator.did}`, { ip })).body).toMatchObject({ creator: "750000000", curator: "0" });
    expect((await api("GET", `/v1/poe/epochs/${n}/rewards/${fan.did}`, { ip })).body).toMatchObject({ creator: "0", curator: "250000000" });
  });

  it("endpoints: bad epoch numbers and DIDs are 400, future epochs 404, admin needs a token", async () => {
    const cur = (await api("GET", "/v1/poe/epochs/current", { ip })).body.epoch as number;
    expect((await api("GET", `/v1/poe/epochs/${cur}`, { ip })).body.epoch).toBe(cur);
    expectProblem(await api("GET", `/v1/poe/epochs/${cur + 1000}`, { ip }), 404, "not_found");
    for (const bad of ["-1", "abc", "1.5", "01", "9".repeat(20)]) expectProblem(await api("GET", `/v1/poe/epochs/${bad}`, { ip }), 400, "validation_failed");
    expectProblem(await api("GET", `/v1/poe/epochs/${cur}/rewards/not-a-did`, { ip }), 400, "validation_failed");
    expectProblem(await api("GET", `/v1/poe/epochs/x/rewards/did:key:z6Mkabc`, { ip }), 400, "validation_failed");
    expectProblem(await api("POST", "/v1/admin/poe/close", { body: {}, ip }), 401, "unauthorized");
    expectProblem(await api("POST", "/v1/admin/poe/close", { body: {}, headers: { authorization: "Bearer nope" }, ip }), 401, "unauthorized");
    expectProblem(await api("POST", "/v1/admin/poe/close", { body: { epoch: -1 }, headers: ADMIN, ip }), 400, "validation_failed");
    expectProblem(await api("POST", "/v1/admin/poe/close", { body: { epoch: 1, extra: 1 }, headers: ADMIN, ip }), 400, "validation_failed");
    expectProblem(await api("POST", "/v1/admin/poe/close", { raw: "{", headers: { ...ADMIN, "content-type": "application/json" }, ip }), 400, "validation_failed");
    expectProblem(await api("POST", "/v1/admin/poe/close", { body: { epoch: cur + 5 }, headers: ADMIN, ip }), 400, "invalid_epoch");
    expectProblem(await api("POST", "/v1/admin/poe/bulk", { body: { source: "x", engagements: [] }, ip }), 401, "unauthorized");
  });
});
