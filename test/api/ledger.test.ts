// Ledger through the API: blocks, mint, transfers, overdrafts, reads at heights, supply.
import { describe, expect, it } from "vitest";
import { api, expectProblem, freshIp, newIdentity, signedEvent, submit } from "../helpers/client";
import { account, ADMIN, escrowCall, mint, transfer, waitFinal } from "../helpers/ledger";
import { verifyChain } from "../../src/lib/blocks";

const ip = freshIp();

describe("ledger", () => {
  it("mint, then a transfer spends it; an overdraft fails insufficient_balance and moves nothing", async () => {
    const alice = await newIdentity();
    const bob = await newIdentity();
    const minted = await waitFinal(await mint(alice.did, "1000"));
    expect(minted.body.status).toBe("applied");
    expect(minted.body.receipt).toMatchObject({ sequence: expect.any(Number), block: expect.any(Number) });
    const t = await waitFinal(await transfer(alice, bob.did, "400"));
    expect(t.body.status).toBe("applied");
    expect(await account(alice.did)).toMatchObject({ balance: "600", escrowed: "0" });
    expect(await account(bob.did)).toMatchObject({ balance: "400" });
    const over = await waitFinal(await transfer(bob, alice.did, "401"));
    expect(over.body).toMatchObject({ status: "failed", reason: "insufficient_balance" });
    expect((await account(bob.did)).balance).toBe("400");
    expect((await account(alice.did)).balance).toBe("600");
  });

  it("blocks are hash-chained from genesis; GET /v1/blocks/latest and /:height", async () => {
    const alice = await newIdentity();
    const id = await mint(alice.did, "5");
    const done = await waitFinal(id);
    const latest = await api("GET", "/v1/blocks/latest", { ip });
    expect(latest.status).toBe(200);
    const blocks = [];
    for (let h = 0; h <= latest.body.height; h++) blocks.push((await api("GET", `/v1/blocks/${h}`, { ip })).body);
    expect(blocks[0]).toMatchObject({ height: 0, prevHash: "0".repeat(64), events: [] });
    expect(verifyChain(blocks)).toEqual([]);
    expect(blocks[done.body.receipt.block].events).toContain(id);
    expectProblem(await api("GET", "/v1/blocks/999999", { ip }), 404, "not_found");
    expectProblem(await api("GET", "/v1/blocks/-1", { ip }), 400, "validation_failed");
    expectProblem(await api("GET", "/v1/blocks/abc", { ip }), 400, "validation_failed");
  });

  it("reads at a past height never change; unsettled heights are 404; bad queries 400", async () => {
    const alice = await newIdentity();
    const first = await waitFinal(await mint(alice.did, "10"));
    const h1 = first.body.receipt.block;
    const before = await account(alice.did, h1);
    expect(before.balance).toBe("10");
    expect((await account(alice.did, h1 - 1)).balance).toBe("0");
    await waitFinal(await mint(alice.did, "20"));
    expect(await account(alice.did, h1)).toEqual(before);
    expect((await account(alice.did)).balance).toBe("30");
    expectProblem(await api("GET", `/v1/accounts/${alice.did}?at=99999999`, { ip }), 404, "not_found");
    expectProblem(await api("GET", `/v1/accounts/${alice.did}?at=x`, { ip }), 400, "validation_failed");
    expectProblem(await api("GET", `/v1/accounts/${alice.did}?height=1`, { ip }), 400, "validation_failed");
    expectProblem(await api("GET", `/v1/accounts/not-a-did`, { ip }), 400, "validation_failed");
    const unknown = await account((await newIdentity()).did);
    expect(unknown).toMatchObject({ balance: "0", escrowed: "0", reputation: 0 });
  });

  it("supply: minted − burned = circulating + escrowed + inFlight", async () => {
    const alice = await newIdentity();
    await waitFinal(await mint(alice.did, "777"));
    const s = await api("GET", "/v1/ledger/supply", { ip });
    expect(s.status).toBe(200);
    const { minted, burned, circulating, escrowed, inFlight } = s.body;
    expect(BigInt(minted) - BigInt(burned)).toBe(BigInt(circulating) + BigInt(escrowed) + BigInt(inFlight));
    expect(BigInt(minted)).toBeGreaterThanOrEqual(777n);
  });

  it("admin mint and reputation: auth, validation, idempotency key", async () => {
    const alice = await newIdentity();
    expectProblem(await api("POST", "/v1/admin/mint", { body: { to: alice.did, amount: "1" }, ip }), 401, "unauthorized");
    expectProblem(await api("POST", "/v1/admin/mint", { body: { to: alice.did, amount: "0" }, headers: ADMIN, ip }), 400, "validation_failed");
    expectProblem(await api("POST", "/v1/admin/mint", { body: { to: "x", amount: "1" }, headers: ADMIN, ip }), 400, "validation_failed");
    const a = await mint(alice.did, "50", "mint-once");
    const b = await mint(alice.did, "50", "mint-once");
    expect(b).toBe(a);
    await waitFinal(a);
    expect((await account(alice.did)).balance).toBe("50");
    const rep = await api("POST", "/v1/admin/reputation", { body: { did: alice.did, score: 42 }, headers: ADMIN, ip });
    expect(rep.status).toBe(202);
    await waitFinal(rep.body.id);
    expect((await account(alice.did)).reputation).toBe(42);
    expectProblem(await api("POST", "/v1/admin/reputation", { body: { did: alice.did, score: 101 }, headers: ADMIN, ip }), 400, "validation_failed");
  });

  it("system kinds are refused at POST /v1/events", async () => {
    const mallory = await newIdentity();
    const forged = await signedEvent(mallory, "sys.mint", { to: mallory.did, amount: "1000", key: "x" });
    expectProblem(await submit(forged, ip), 400, "validation_failed");
  });
});

describe("escrow v1", () => {
  it("create → release moves funds into escrow and out to the beneficiary exactly once", async () => {
    const dep = await newIdentity();
    const ben = await newIdentity();
    await waitFinal(await mint(dep.did, "1000"));
    const create = await waitFinal(await escrowCall(dep, "create", { beneficiary: ben.did, amount: "300" }));
    expect(create.body.status).toBe("applied");
    const instance = create.body.id;
    expect(await account(dep.did)).toMatchObject({ balance: "700", escrowed: "300" });
    const view = await api("GET", `/v1/contracts/${instance}`, { ip });
    expect(view.body).toMatchObject({ instance, contract: "escrow", version: 1, state: { status: "open", amount: "300", depositor: dep.did, beneficiary: ben.did } });
    // Only the depositor releases.
    expect((await waitFinal(await escrowCall(ben, "release", {}, instance))).body).toMatchObject({ status: "failed", reason: "forbidden" });
    expect((await waitFinal(await escrowCall(dep, "release", {}, instance))).body.status).toBe("applied");
    expect((await waitFinal(await escrowCall(dep, "release", {}, instance))).body).toMatchObject({ status: "failed", reason: "contract_closed" });
    expect(await account(dep.did)).toMatchObject({ balance: "700", escrowed: "0" });
    expect(await account(ben.did)).toMatchObject({ balance: "300" });
    expect((await api("GET", `/v1/contracts/${instance}`, { ip })).body.state.status).toBe("released");
  });

  it("refund by the beneficiary; expiry by block time refunds the depositor", async () => {
    const dep = await newIdentity();
    const ben = await newIdentity();
    await waitFinal(await mint(dep.did, "1000"));
    const a = (await waitFinal(await escrowCall(dep, "create", { beneficiary: ben.did, amount: "100" }))).body.id;
    expect((await waitFinal(await escrowCall(ben, "refund", {}, a))).body.status).toBe("applied");
    expect(await account(dep.did)).toMatchObject({ balance: "1000", escrowed: "0" });

    const expiresAt = new Date(Date.now() + 6000).toISOString();
    const b = (await waitFinal(await escrowCall(dep, "create", { beneficiary: ben.did, amount: "250", expiresAt }))).body.id;
    expect(await account(dep.did)).toMatchObject({ balance: "750", escrowed: "250" });
    // No further events: a heartbeat block must come when the deadline is due.
    const deadline = Date.now() + 20_000;
    let state = "open";
    while (state === "open" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      state = (await api("GET", `/v1/contracts/${b}`, { ip })).body.state.status;
    }
    expect(state).toBe("expired");
    expect(await account(dep.did)).toMatchObject({ balance: "1000", escrowed: "0" });
    expect((await account(ben.did)).balance).toBe("0");
  });

  it("bad calls: unknown contract/method/args are rejected by witnesses; GET /v1/contracts lists types", async () => {
    const dep = await newIdentity();
    const bad = await waitFinal(await escrowCall(dep, "explode", {}));
    expect(bad.body).toMatchObject({ status: "rejected", reason: "unknown_method" });
    const noInstance = await waitFinal(await escrowCall(dep, "release", {}));
    expect(noInstance.body).toMatchObject({ status: "rejected", reason: "instance_required" });
    const missing = await waitFinal(await escrowCall(dep, "release", {}, "ab".repeat(32)));
    expect(missing.body).toMatchObject({ status: "failed", reason: "not_found" });
    const poor = await waitFinal(await escrowCall(dep, "create", { beneficiary: dep.did, amount: "5" }));
    expect(poor.body).toMatchObject({ status: "failed", reason: "insufficient_balance" });
    const catalog = await api("GET", "/v1/contracts", { ip });
    expect(catalog.body.contracts[0]).toMatchObject({ name: "escrow", versions: [{ version: 1 }] });
    expectProblem(await api("GET", `/v1/contracts/${"cd".repeat(32)}`, { ip }), 404, "not_found");
  });
});
