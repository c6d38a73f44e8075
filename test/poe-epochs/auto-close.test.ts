// With 3-second epochs nobody calls the admin close: each epoch closes by itself (the
// coordinator's ticker issues sys.poe.close at the epoch's end) and distributes — also when
// every Durable Object is reset while it closes. (Own project and workerd: the resets would
// disturb other test files.)
import { describe, expect, it } from "vitest";
import { abortAllDurableObjects } from "cloudflare:test";
import { api, freshIp, newIdentity, post, signedEvent, submit, until } from "../helpers/client";
import { account, ADMIN, waitFinal } from "../helpers/ledger";

const ip = freshIp();

describe("automatic epoch close", () => {
  it("an epoch with trusted engagement closes at its end, pays, and the supply identity holds", async () => {
    const [creator, fan] = await Promise.all([newIdentity(), newIdentity()]);
    const seeded = await api("POST", "/v1/admin/reputation", { body: { did: fan.did, score: 50 }, headers: ADMIN, ip });
    expect((await waitFinal(seeded.body.id)).body.status).toBe("applied");
    const p = await submit(await post(creator), ip);
    expect((await waitFinal(p.body.id)).body.status).toBe("applied");
    const like = await submit(await signedEvent(fan, "interaction.like", { target: p.body.id }), ip);
    const done = await waitFinal(like.body.id);
    expect(done.body.status).toBe("applied");
    const block = (await api("GET", `/v1/blocks/${done.body.receipt.block}`, { ip })).body;
    const n = Math.floor(Date.parse(block.createdAt) / 3000);

    const epoch = await until(() => api("GET", `/v1/poe/epochs/${n}`, { ip }), (r) => r.status === 200 && r.body.status === "distributed", 45_000, `epoch ${n} distributed`);
    expect(epoch.body).toMatchObject({ epoch: n, emission: "1000000000", totalScore: 50_000, recipients: 2 });
    expect(epoch.body.closeHeight).toBeGreaterThan(done.body.receipt.block - 1);
    const mine = (await api("GET", `/v1/poe/epochs/${n}/rewards/${creator.did}`, { ip })).body;
    expect(mine).toMatchObject({ creator: "750000000", curator: "0", total: "750000000" });
    expect((await api("GET", `/v1/poe/epochs/${n}/rewards/${fan.did}`, { ip })).body.curator).toBe("250000000");
    expect(BigInt((await account(creator.did)).balance)).toBe(750_000_000n);
    const s = (await api("GET", "/v1/ledger/supply", { ip })).body;
    expect(BigInt(s.minted) - BigInt(s.burned)).toBe(BigInt(s.circulating) + BigInt(s.escrowed) + BigInt(s.inFlight));
  });

  it("resetting every Durable Object while an epoch closes still pays exactly once", async () => {
    const [creator, fan] = await Promise.all([newIdentity(), newIdentity()]);
    const seeded = await api("POST", "/v1/admin/reputation", { body: { did: fan.did, score: 50 }, headers: ADMIN, ip });
    expect((await waitFinal(seeded.body.id)).body.status).toBe("applied");
    const p = await submit(await post(creator), ip);
    expect((await waitFinal(p.body.id)).body.status).toBe("applied");
    const like = await submit(await signedEvent(fan, "interaction.like", { target: p.body.id }), ip);
    const done = await waitFinal(like.body.id);
    const block = (await api("GET", `/v1/blocks/${done.body.receipt.block}`, { ip })).body;
    const n = Math.floor(Date.parse(block.createdAt) / 3000);

    await abortAllDurableObjects(); // the engagement is on its way to the map shard
    await until(() => api("GET", `/v1/poe/epochs/${n}`, { ip }), (r) => r.status === 200 && r.body.status !== "open", 45_000, `epoch ${n} closing`);
    await abortAllDurableObjects(); // mid-close: counting, reducing or paying out
    const epoch = await until(() => api("GET", `/v1/poe/epochs/${n}`, { ip }), (r) => r.status === 200 && r.body.status === "distributed", 60_000, `epoch ${n} distributed`);
    expect(epoch.body).toMatchObject({ totalScore: 50_000, recipients: 2 });
    expect((await account(creator.did)).balance).toBe("750000000");
    expect((await account(fan.did)).balance).toBe("250000000");
    const s = (await api("GET", "/v1/ledger/supply", { ip })).body;
    expect(BigInt(s.minted) - BigInt(s.burned)).toBe(BigInt(s.circulating) + BigInt(s.escrowed) + BigInt(s.inFlight));
  }, 120_000);
});
