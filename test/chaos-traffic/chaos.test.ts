// Chaos (issue 9, DESIGN §12): the fault-injection endpoint, then mixed traffic — posts,
// views, likes, deletes, transfers, escrow create/release/refund, chunk uploads — while
// faults fire (queue failures and duplicates, Durable Object resets by name and by class,
// dropped and corrupted replicas). Afterwards, with faults off: every accepted event is final,
// nothing is applied twice, supply holds at every height, the ledger equals the sequential
// model, every chunk has its healthy replicas after an audit round, and search agrees with
// content state. Ads and PoE: campaigns, signed auctions, impressions and clicks (duplicated),
// campaign reads and trusted likes join the traffic; Campaign, AdMarket and PoeCoordinator
// resets and the ad/PoE queues join the faults; afterwards no campaign overspent, every
// charge made and paid once, and the epoch's score and payout exact. CHAOS_MS sets the
// traffic duration (npm run chaos: longer).
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/workers/index";
import { api, freshIp, newIdentity, post, submit, waitForStatus } from "../helpers/client";
import { ADMIN, account, mint, transfer, waitFinal } from "../helpers/ledger";
import { putChunk, randomBytes } from "../helpers/storage";
import { newActor, prng, runOne, type Call, type OpRecord } from "../helpers/traffic";
import { checkAds, checkChunks, checkLedgerModel, checkPoe, checkSearch, checkViews, finalStatuses, fireOne, pollUntil, table, walkChain, type ChaosContext } from "../helpers/chaos";
import { POE_POOL } from "../../src/ledger/pool";
import { accountShardFor } from "../../src/workers/shards";
import type { Prepared } from "../helpers/model";

const CHAOS_MS = Number((env as unknown as Record<string, string>).CHAOS_MS || "10000");
const SEED = Number((env as unknown as Record<string, string>).CHAOS_SEED || Date.now() % 1_000_000);
const ip = freshIp();
const setFaults = (body: unknown) => api("POST", "/v1/admin/faults", { body, headers: ADMIN, ip: freshIp() });

/** The Worker's fetch with real bindings; octet-stream bodies come back as bytes. */
const call: Call = async (method, path, opts = {}) => {
  // Many clients: each request from its own address, so per-IP limits do not throttle the run.
  const headers: Record<string, string> = { "cf-connecting-ip": freshIp(), ...opts.headers };
  let body: BodyInit | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://echonet.test${path}`, { method, headers, body }), env, ctx);
  await waitOnExecutionContext(ctx);
  if (res.headers.get("content-type") === "application/octet-stream") return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed };
};

/** The PoE pool pseudo-account (not a did:key, so not at /v1/accounts) at the settled height. */
async function poolEscrowed(): Promise<bigint> {
  const { height } = (await api("GET", "/v1/ledger/supply", { ip: freshIp() })).body as { height: number };
  const shard = env.ACCOUNT_SHARD.getByName(accountShardFor(POE_POOL, 16));
  return BigInt((await shard.read([POE_POOL], height))[POE_POOL]!.escrowed);
}
const currentEpoch = async () => (await api("GET", "/v1/poe/epochs/current", { ip: freshIp() })).body.epoch as number;
/** Like (5) × engager weight min(10000, reputation × 1000) for the curators' reputation 10. */
const CURATOR_REPUTATION = 10;
const WEIGHT_PER_LIKE = 5 * Math.min(10_000, CURATOR_REPUTATION * 1000);

describe("fault injection endpoint", () => {
  it("404 when ECHONET_FAULTS is off, for GET and POST, even with the admin token", async () => {
    const off = { ...(env as object), ECHONET_FAULTS: "0" } as unknown as typeof env;
    for (const method of ["GET", "POST"]) {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request("http://echonet.test/v1/admin/faults", { method, headers: { ...ADMIN, "cf-connecting-ip": ip, "content-type": "application/json" }, body: method === "POST" ? "{}" : undefined }), off, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(404);
      expect((await res.json<{ code: string }>()).code).toBe("not_found");
    }
  });

  it("resets a named Durable Object and every instance of a class; state survives; unknown class or name is a 404", async () => {
    const alice = await newIdentity();
    const bob = await newIdentity();
    await waitFinal(await mint(alice.did, "1000"));
    expect((await setFaults({ resetDurableObject: { class: "Sequencer", name: "sequencer" } })).status).toBe(200);
    expect((await setFaults({ resetDurableObject: { class: "AccountShard" } })).status).toBe(200);
    expect((await setFaults({ resetDurableObject: { class: "EventShard" } })).status).toBe(200);
    expect((await account(alice.did)).balance).toBe("1000");
    const id = await transfer(alice, bob.did, "400");
    expect((await setFaults({ resetDurableObject: { class: "WitnessNode" } })).status).toBe(200);
    expect((await waitFinal(id)).body.status).toBe("applied");
    expect((await account(bob.did)).balance).toBe("400");
    const unknown = await setFaults({ resetDurableObject: { class: "NoSuchThing" } });
    expect([unknown.status, unknown.body.code]).toEqual([404, "not_found"]);
    const badName = await setFaults({ resetDurableObject: { class: "AccountShard", name: "accounts-999" } });
    expect([badName.status, badName.body.code]).toEqual([404, "not_found"]);
    const needsName = await setFaults({ resetDurableObject: { class: "ContractInstance" } });
    expect([needsName.status, needsName.body.code]).toEqual([400, "validation_failed"]);
  });

  it("queue failure and duplicate shares: every event still ends final and is applied once", async () => {
    const me = await newIdentity();
    // The target first, without faults: under a 50% failure share an event can exhaust its
    // retries and end rejected witness_timeout, which is a correct outcome but no target.
    const target = (await submit(await post(me, "queue faults target"), ip)).body.id as string;
    await waitForStatus(target, ["applied"], 60_000);
    expect((await setFaults({ queueFailRate: 0.5, queueDuplicateRate: 1, witnessInboxDuplicateRate: 1 })).status).toBe(200);
    expect((await api("GET", "/v1/admin/faults", { headers: ADMIN, ip })).body).toMatchObject({ queueFailRate: 0.5, queueDuplicateRate: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const { signedEvent } = await import("../helpers/client");
      ids.push((await submit(await signedEvent(me, "interaction.view", { target }), ip)).body.id);
    }
    const done = await Promise.all(ids.map((id) => waitForStatus(id, ["applied", "failed", "rejected"], 90_000)));
    expect((await setFaults({})).status).toBe(200);
    const applied = done.filter((r) => r.body.status === "applied").length;
    // Failed deliveries are retried (rarely, after max_retries, dead-lettered: rejected);
    // duplicated ones change nothing: views count each applied view event exactly once.
    expect((await api("GET", `/v1/content/${target}`, { ip })).body.stats.views).toBe(applied);
    expect(done.every((r) => r.body.status === "applied" || r.body.reason === "witness_timeout")).toBe(true);
  });

  it("drop and corrupt a replica; unknown replica is a 404", async () => {
    const me = await newIdentity();
    const r = await putChunk(me, randomBytes(9000), { ip });
    expect(r.status).toBe(201);
    const [a, b] = r.body.replicas.map((x: { node: string }) => x.node);
    expect((await setFaults({ dropReplica: { cid: r.body.cid, node: a } })).status).toBe(200);
    expect((await setFaults({ corruptReplica: { cid: r.body.cid, node: b } })).status).toBe(200);
    const again = await setFaults({ dropReplica: { cid: r.body.cid, node: a } });
    expect([again.status, again.body.code]).toEqual([404, "not_found"]);
    const round = await api("POST", "/v1/admin/storage/audit", { body: { cids: [r.body.cid] }, headers: ADMIN, ip });
    expect(round.body.failed).toBe(2);
    const meta = await api("GET", `/v1/chunks/${r.body.cid}/meta`, { ip });
    expect(meta.body.replicas.filter((x: { status: string }) => x.status === "ok")).toHaveLength(3);
  });
});

describe("mixed traffic under faults", () => {
  it(`nothing lost, nothing applied twice (traffic ${CHAOS_MS} ms, seed ${SEED})`, async () => {
    const started = Date.now();
    const rand = prng(SEED);
    const actors = await Promise.all(Array.from({ length: 8 }, () => newActor()));
    const tag = `c${SEED.toString(36)}r${Math.floor(Math.random() * 1e6).toString(36)}`;
    const c: ChaosContext = { call, actors, rand, tag, posts: [], escrows: [], chunks: [], seq: 0, admin: ADMIN, damaged: new Set(), records: [], mints: [], startedAt: started };

    // Funding first (mints are admin calls with idempotency keys), then faults on.
    for (const [i, a] of actors.entries()) {
      const id = await mint(a.did, "5000000", `${tag}-m${i}`);
      c.mints.push({ op: { t: "mint", to: i, amount: 5_000_000 }, kind: "mint", id, to: a.did, amount: 5_000_000n, mint: { to: a.did, amount: "5000000", key: `${tag}-m${i}` } });
    }

    // Ads and PoE: dedicated advertisers, publishers, creators and curators (outside `actors`,
    // so the ledger model stays exact). A fresh epoch first — its close claims the pool and,
    // once distributed, rolls an empty epoch's revenue back — then the curators' reputation.
    const closed = await api("POST", "/v1/admin/poe/close", { body: {}, headers: ADMIN, ip: freshIp() });
    expect(closed.status).toBe(202);
    await waitFinal(closed.body.id);
    const [advertisers, publishers, curators] = await Promise.all([2, 3, 3].map((n) => Promise.all(Array.from({ length: n }, () => newActor()))));
    const creators = await Promise.all([newIdentity(), newIdentity()]);
    c.ads = { advertisers: advertisers!, publishers: publishers!, keywords: [0, 1, 2].map((i) => `k${tag}${i}`), campaigns: [], wins: [], reads: [], auctions: 0 };
    const creatorIds = creators.map((x) => x.did);
    const [, posts] = await Promise.all([
      Promise.all([
        ...advertisers!.map(async (a, i) => waitFinal(await mint(a.did, "1000000", `${tag}-adv${i}`))),
        ...curators!.map(async (x) => {
          const r = await api("POST", "/v1/admin/reputation", { body: { did: x.did, score: CURATOR_REPUTATION }, headers: ADMIN, ip: freshIp() });
          expect(r.status).toBe(202);
          expect((await waitFinal(r.body.id)).body.status).toBe("applied");
        }),
      ]),
      Promise.all(
        Array.from({ length: 4 }, async (_, i) => {
          const r = await submit(await post(creators[i % 2]!, `engagement target ${i}`), freshIp());
          await waitForStatus(r.body.id, ["applied"], 60_000);
          return r.body.id as string;
        }),
      ),
      pollUntil(() => api("GET", `/v1/poe/epochs/${closed.body.epoch}`, { ip: freshIp() }), (r) => r.body?.status === "distributed", 60_000, "the setup epoch distributed"),
    ]);
    c.poe = { curators: curators!, posts };
    const setupMs = Date.now() - started;
    const firstEpoch = await currentEpoch();
    const pool0 = await poolEscrowed();

    const faults: { name: string; what: string | null }[] = [];
    const stopAt = Date.now() + CHAOS_MS;
    const workers = Array.from({ length: 6 }, async () => {
      while (Date.now() < stopAt) {
        const rec = await runOne(c);
        if (rec) c.records.push(rec);
      }
    });
    const faulter = (async () => {
      while (Date.now() < stopAt) {
        faults.push(await fireOne(c));
        // Pace: a fault every ~300 ms of traffic, measured by requests rather than sleeps.
        const until = c.records.length + 15;
        while (Date.now() < stopAt && c.records.length < until) await new Promise((r) => setTimeout(r, 25));
      }
    })();
    await Promise.all([...workers, faulter]);
    expect((await setFaults({})).status).toBe(200);
    const trafficMs = Date.now() - started;

    // 1. Every accepted event reaches a final status (and so does every id the server knows).
    const eventRecs = c.records.filter((r) => r.id);
    const statuses = await finalStatuses(call, [...c.mints.map((m) => m.id!), ...eventRecs.map((r) => r.id!)], 120_000);
    const lostAccepted = eventRecs.filter((r) => r.accepted && statuses.get(r.id!) === null);
    expect(lostAccepted, "accepted events unknown to the server").toEqual([]);

    // 2. Nothing applied twice; supply conserved at every height.
    const chain = await walkChain(call);
    expect(chain.duplicates, "events in two blocks").toEqual([]);
    expect(chain.supplyViolations, "heights where supply is not conserved").toEqual([]);
    for (const [id, s] of statuses) {
      if (!s) continue;
      const inChain = chain.blockOf.has(id);
      expect(inChain, `${id} is ${s.status}`).toBe(s.status === "applied" || s.status === "failed");
      if (inChain) expect(s.block).toBe(chain.blockOf.get(id));
    }

    // 3. The ledger equals the sequential model replayed in chain order.
    const prepared: Prepared[] = [...c.mints, ...c.records.filter((r) => r.prepared).map((r) => r.prepared!)];
    const model = await checkLedgerModel(call, prepared, chain, statuses, actors.map((a) => a.did));
    expect(model.outcomeMismatches).toEqual([]);
    expect(model.balanceMismatches).toEqual([]);

    // 4. Views counted once per applied view event (duplicated deliveries change nothing).
    const views = await checkViews(call, c.records, statuses);
    expect(views.mismatches).toEqual([]);

    // 5. Chunks: healthy replicas after audit rounds, bytes match.
    const chunks = await checkChunks(c, 3);
    expect(chunks.unhealthy).toEqual([]);

    // 6. Search agrees with content state.
    const tokens = new Map(c.records.filter((r) => r.post && r.id).map((r) => [r.id!, r.post!.token]));
    const search = await checkSearch(call, tag, c.posts.map((p) => p.id), 60_000, tokens);
    expect(search.missing).toEqual([]);
    expect(search.extra).toEqual([]);

    // 7. Ads: no campaign overspent (every read and the final one), spent never decreases
    //    between reads, every accepted billable interaction charged exactly once, every charge
    //    settled once (publishers + PoE pool growth = spent; advertisers' escrow = budget − spent).
    const t7 = Date.now();
    const ads = await checkAds(c, statuses, async () => ((await currentEpoch()) === firstEpoch ? (await poolEscrowed()) - pool0 : null));
    expect(ads.overspent, "campaigns overspent").toEqual([]);
    expect(ads.nonMonotonic, "campaign reads going backwards").toEqual([]);
    expect(ads.mismatches, "charges").toEqual([]);
    expect(ads.payout, "settlement").toEqual([]);

    // 8. PoE: close the epoch; trusted likes weigh once per (curator, post); rewards = pool.
    const t8 = Date.now();
    const poe = await checkPoe(c, statuses, firstEpoch, creatorIds, WEIGHT_PER_LIKE);
    expect(poe.problems, "PoE epoch").toEqual([]);
    const after = await walkChain(call);
    expect(after.supplyViolations, "heights where supply is not conserved (after the payout)").toEqual([]);

    const t9 = Date.now();
    // Summary.
    const kinds = [...new Set(c.records.map((r) => r.kind))].sort();
    const opRows = kinds.map((k) => {
      const rs = c.records.filter((r) => r.kind === k);
      const st = (s: string) => rs.filter((r) => r.id && statuses.get(r.id)?.status === s).length;
      const reasons = new Map<string, number>();
      for (const r of rs) {
        const f = r.id ? statuses.get(r.id) : undefined;
        if (f && f.status !== "applied") reasons.set(f.reason ?? "?", (reasons.get(f.reason ?? "?") ?? 0) + 1);
      }
      const why = [...reasons].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(", ");
      const refused = new Map<number, number>();
      for (const r of rs) if (!r.accepted) refused.set(r.status, (refused.get(r.status) ?? 0) + 1);
      return { operation: k, sent: rs.length, accepted: rs.filter((r) => r.accepted).length, "not accepted (last status)": [...refused].map(([st, n]) => `${st}×${n}`).join(" "), retried: rs.filter((r) => r.attempts > 1).length, applied: st("applied"), failed: st("failed"), rejected: st("rejected"), "failed/rejected reasons": why };
    });
    const faultRows = [...new Set(faults.map((f) => f.name))].map((name) => ({ fault: name, fired: faults.filter((f) => f.name === name && f.what !== null).length }));
    const checkRows = [
      { check: "events final", result: `${statuses.size} ids, ${[...statuses.values()].filter((s) => s === null).length} unknown to the server (never accepted)` },
      { check: "applied once", result: `${chain.blockOf.size} events in ${chain.latest} blocks, 0 duplicates` },
      { check: "supply at every height", result: `${chain.latest + 1} heights, 0 violations` },
      { check: "ledger = sequential model", result: `${model.replayed} events replayed, ${actors.length} accounts equal` },
      { check: "views counted once", result: `${views.posts} posts` },
      { check: "chunks healthy", result: `${chunks.chunks} chunks x3 replicas; ${chunks.rounds} audit calls, ${chunks.failed} failed proofs, ${chunks.repaired} repairs` },
      { check: "search = content state", result: `${search.live} live, ${search.deleted} deleted` },
      { check: "no campaign overspent", result: `${ads.campaigns} campaigns, ${ads.reads} reads during the run + final reads, 0 over budget, 0 going backwards` },
      { check: "charged once", result: `${c.ads.auctions} auctions, ${ads.wins} won, ${ads.charged} billable interactions charged once = spent ${ads.spent}` },
      { check: "paid once", result: `publishers ${ads.published} + PoE pool ${ads.pooled} = spent ${ads.spent}; advertiser escrow = budgets − spent` },
      { check: "PoE epoch", result: `epochs ${firstEpoch}..${poe.epoch}: ${poe.likes} trusted likes, ${poe.pairs} distinct → score ${poe.totalScore}; pool ${poe.pool} paid ${poe.paid} to ${poe.recipients}; supply at ${after.latest + 1} heights` },
    ];
    console.log(
      [
        `\nchaos run: seed ${SEED}, setup ${setupMs} ms, traffic ${trafficMs} ms (incl. setup), checks 1-6 ${t7 - started - trafficMs} ms, ads check ${t8 - t7} ms, PoE check ${t9 - t8} ms, total ${Date.now() - started} ms`,
        table(opRows),
        "",
        table(faultRows),
        "",
        table(checkRows),
      ].join("\n"),
    );
    expect(c.records.filter((r) => r.accepted).length).toBeGreaterThan(0);
  });
});
