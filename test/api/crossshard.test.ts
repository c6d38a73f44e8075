// Deadlock safety and history checking (issue 9). Cross-shard operations in opposite orders
// (A→B with B→A on different AccountShards, escrows created and released crosswise), the
// EventShard → Sequencer → EventShard call cycle under load, and a lease that expires. Every
// wait has a deadline (until), so a hang fails the test instead of stalling it; the
// client-observed history is checked against the sequential model (test/helpers/history.ts).
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, freshIp, newIdentity, signedEvent, submit, until, type Identity } from "../helpers/client";
import { account, escrowCall, mint, waitFinal } from "../helpers/ledger";
import { checkHistory, type HistoryOp, type WriteResult } from "../helpers/history";
import { accountShardFor, shardFor } from "../../src/workers/shards";
import { eventIdOf } from "../../src/lib/events";
import type { StorageAccount } from "../../src/durable-objects/StorageAccount";

const ip = freshIp();

/** Identities on pairwise different account shards. */
async function onDistinctShards(n: number): Promise<Identity[]> {
  const out: Identity[] = [];
  const used = new Set<string>();
  while (out.length < n) {
    const id = await newIdentity();
    const shard = accountShardFor(id.did, 16);
    if (used.has(shard)) continue;
    used.add(shard);
    out.push(id);
  }
  return out;
}

async function finalResult(id: string): Promise<WriteResult> {
  const r = (await waitFinal(id, 60_000)).body;
  if (r.status === "rejected") return { status: "rejected", reason: r.reason };
  return { status: r.status, block: r.receipt.block, sequence: r.receipt.sequence, ...(r.reason ? { reason: r.reason } : {}) };
}

async function supplyHoldsUpTo(height: number, from = 0) {
  for (let h = from; h <= height; h++) {
    const s = (await api("GET", `/v1/ledger/supply?at=${h}`, { ip })).body;
    expect(BigInt(s.minted) - BigInt(s.burned), `supply at ${h}`).toBe(BigInt(s.circulating) + BigInt(s.escrowed) + BigInt(s.inFlight));
  }
}

describe("cross-shard operations in opposite orders", () => {
  it("concurrent transfers A→B and B→A across shards, with reads: no hang, no lost value, the history is linearizable", async () => {
    const startHeight = (await api("GET", "/v1/ledger/supply", { ip })).body.height as number;
    const people = await onDistinctShards(6);
    const history: HistoryOp[] = [];
    const clock = () => performance.now();

    // Funding (recorded: the checker needs every write that touches these accounts).
    await Promise.all(
      people.map(async (p) => {
        const invokeAt = clock();
        const id = await mint(p.did, "10000");
        const result = await finalResult(id);
        history.push({ type: "mint", client: "admin", invokeAt, completeAt: clock(), id, to: p.did, amount: 10_000n, result });
      }),
    );

    // Six clients; client i moves value i → i+1 and i+1 → i (opposite orders on the same
    // pair of shards), sometimes more than it has, and reads accounts in between.
    const seeded = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    await Promise.all(
      people.map(async (_p, c) => {
        const rand = seeded(c + 1);
        for (let k = 0; k < 6; k++) {
          const [from, to] = k % 2 === 0 ? [people[c]!, people[(c + 1) % 6]!] : [people[(c + 1) % 6]!, people[c]!];
          const amount = BigInt(rand() < 0.2 ? 9000 + Math.floor(rand() * 20_000) : 1 + Math.floor(rand() * 3000));
          const ev = await signedEvent(from, "ledger.transfer", { to: to.did, amount: String(amount) });
          const invokeAt = clock();
          const r = await submit(ev, ip);
          expect(r.status).toBe(202);
          // Read while the transfer is in flight: concurrent reads are part of the history.
          const target = people[Math.floor(rand() * 6)]!;
          const readAt = clock();
          const read = await account(target.did);
          history.push({ type: "read", client: `c${c}`, invokeAt: readAt, completeAt: clock(), did: target.did, result: { balance: BigInt(read.balance), height: read.height } });
          const result = await finalResult(r.body.id);
          history.push({ type: "transfer", client: `c${c}`, invokeAt, completeAt: clock(), id: r.body.id, from: from.did, to: to.did, amount, result });
          if (rand() < 0.3 && read.height > 0) {
            const at = Math.max(0, read.height - 1);
            const past = await account(target.did, at);
            history.push({ type: "read", client: `c${c}`, invokeAt: clock(), completeAt: clock(), did: target.did, at, result: { balance: BigInt(past.balance), height: past.height } });
          }
        }
      }),
    );

    // A final read of every account, after everything completed.
    for (const p of people) {
      const invokeAt = clock();
      const a = await account(p.did);
      history.push({ type: "read", client: "final", invokeAt, completeAt: clock(), did: p.did, result: { balance: BigInt(a.balance), height: a.height } });
    }
    expect(checkHistory(history)).toEqual([]);
    expect(history.filter((o) => o.type === "transfer" && o.result.status === "failed").length).toBeGreaterThan(0);
    expect(history.filter((o) => o.type === "transfer" && o.result.status === "applied").length).toBeGreaterThan(10);
    // No lost value: transfers only move value among these accounts.
    const total = (await Promise.all(people.map((p) => account(p.did)))).reduce((n, a) => n + BigInt(a.balance) + BigInt(a.escrowed), 0n);
    expect(total).toBe(60_000n);
    await supplyHoldsUpTo((await api("GET", "/v1/ledger/supply", { ip })).body.height, startHeight);
  });

  it("escrows created crosswise (A for B, B for A) and released/refunded in opposite orders: no hang, value conserved", async () => {
    const [a, b] = await onDistinctShards(2);
    await Promise.all([waitFinal(await mint(a!.did, "1000")), waitFinal(await mint(b!.did, "1000"))]);
    for (let round = 0; round < 2; round++) {
      const [ea, eb] = await Promise.all([escrowCall(a!, "create", { beneficiary: b!.did, amount: "100" }), escrowCall(b!, "create", { beneficiary: a!.did, amount: "150" })]);
      await Promise.all([waitFinal(ea), waitFinal(eb)]);
      // Opposite orders: even rounds A closes both (its own first), odd rounds B closes both.
      const closes =
        round % 2 === 0
          ? [escrowCall(a!, "release", {}, ea), escrowCall(a!, "refund", {}, eb)]
          : [escrowCall(b!, "refund", {}, ea), escrowCall(b!, "release", {}, eb)];
      const ids = await Promise.all(closes);
      const results = await Promise.all(ids.map((id) => waitFinal(id)));
      expect(results.map((r) => r.body.status)).toEqual(["applied", "applied"]);
    }
    const [fa, fb] = await Promise.all([account(a!.did), account(b!.did)]);
    // Even rounds: A releases its 100 to B and refunds B's 150 to B (A −100). Odd rounds: B
    // refunds A's 100 to A and releases its 150 to A (A +150). Two rounds: A 1050, B 950.
    expect([fa.balance, fb.balance, fa.escrowed, fb.escrowed]).toEqual(["1050", "950", "0", "0"]);
  });

  it("EventShard → Sequencer → EventShard: recording verdicts (append) while final statuses flow back to the same shard never hangs", async () => {
    // Events ground to one EventShard, submitted in overlapping waves: the shard forwards newly
    // attested events to the Sequencer (append) while the Sequencer's executor marks the
    // previous wave final on that same shard. Neither call waits on the other (no lock is
    // held across an RPC), so every event completes within the deadline.
    const me = await newIdentity();
    const target = "events-5";
    const events: Record<string, unknown>[] = [];
    while (events.length < 40) {
      const ev = await signedEvent(me, "content.post", { text: `cycle ${events.length}` });
      if (shardFor(await eventIdOf(ev as never), 16) === target) events.push(ev);
    }
    const ids: string[] = [];
    for (let wave = 0; wave < 4; wave++) {
      const rs = await Promise.all(events.slice(wave * 10, wave * 10 + 10).map((e) => submit(e, ip)));
      ids.push(...rs.map((r) => r.body.id as string));
      await until(() => api("GET", `/v1/events/${ids[ids.length - 1]}`, { ip }), (r) => r.body.status !== "pending", 30_000, "the wave to be attested");
    }
    const done = await Promise.all(ids.map((id) => waitFinal(id, 60_000)));
    expect(done.every((r) => r.body.status === "applied")).toBe(true);
  });
});

describe("leases", () => {
  it("a storage quota reservation whose holder vanished expires by alarm", async () => {
    const me = await newIdentity();
    const stub = env.STORAGE_ACCOUNT.getByName(me.did) as unknown as DurableObjectStub<StorageAccount>;
    // The holder reserves, then vanishes (never commits or releases).
    await runInDurableObject(stub, (instance: StorageAccount) => instance.reserve("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", 5000, 10_000));
    expect((await api("GET", `/v1/storage/usage/${me.did}`, { ip })).body.reservedBytes).toBe(5000);
    // The lease runs out (moved to the past rather than waiting 60 s) and the alarm fires.
    await runInDurableObject(stub, (_i: StorageAccount, state: DurableObjectState) => void state.storage.sql.exec("UPDATE charges SET expires_at = 0"));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await api("GET", `/v1/storage/usage/${me.did}`, { ip })).body).toMatchObject({ reservedBytes: 0, usedBytes: 0 });
  });
});
