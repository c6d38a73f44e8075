// The ad marketplace through the public API (DESIGN §7): campaigns by signed events with
// escrow, auctions with request auth, interaction tokens, settlement into publisher balances
// and the PoE pool, zero overspend under concurrency. Every campaign targets its own keyword,
// so tests in this file never bid against each other.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import fc from "fast-check";
import { api, expectProblem, freshIp, newIdentity, until, type Identity } from "../helpers/client";
import { account, mint, waitFinal } from "../helpers/ledger";
import { adEvent, auction, campaign, campaignBody, campaignEvent, createCampaign, expectSupplyInvariant, supply, untilCampaign } from "../helpers/ads";
import { POE_POOL } from "../../src/ledger/pool";
import { accountShardFor } from "../../src/workers/shards";
import { adMarketShard, viewerShard } from "../../src/ads/types";
import { fromBase64Url } from "../../src/lib/encoding";
import { ADMIN } from "../helpers/ledger";

const kw = () => `kw${Math.random().toString(36).slice(2, 10)}`;

async function funded(amount: string): Promise<Identity> {
  const who = await newIdentity();
  expect((await waitFinal(await mint(who.did, amount))).body.status).toBe("applied");
  return who;
}

/** The PoE pool pseudo-account (no did:key, so not readable at /v1/accounts) at the settled height. */
async function poolEscrowed(): Promise<bigint> {
  const { height } = await supply();
  const shard = env.ACCOUNT_SHARD.getByName(accountShardFor(POE_POOL, 16));
  return BigInt((await shard.read([POE_POOL], height))[POE_POOL]!.escrowed);
}

describe("campaigns", () => {
  it("create moves the budget into escrow; insufficient balance fails; GET by id and by advertiser", async () => {
    const adv = await funded("100");
    const poor = await campaignEvent(adv, "campaign.create", campaignBody(kw(), { budget: "101" }));
    expect(poor).toMatchObject({ status: "failed", reason: "insufficient_balance" });
    expect(await account(adv.did)).toMatchObject({ balance: "100", escrowed: "0" });

    const id = await createCampaign(adv, campaignBody(kw(), { budget: "60", dailyBudget: "50", frequencyCap: 3 }));
    expect(await account(adv.did)).toMatchObject({ balance: "40", escrowed: "60" });
    const c = await campaign(id);
    expect(c).toMatchObject({ id, advertiser: adv.did, status: "active", bid: { model: "cpm", amount: "5000" }, budget: "60", dailyBudget: "50", spent: "0", impressions: 0, clicks: 0, ctr: 0 });
    expect(BigInt(c.reserved) + BigInt(c.remaining)).toBe(60n);
    const list = await api("GET", `/v1/campaigns?advertiser=${encodeURIComponent(adv.did)}`);
    expect(list.status).toBe(200);
    expect(list.body.campaigns.map((x: { id: string }) => x.id)).toEqual([id]);
    expectProblem(await api("GET", `/v1/campaigns/${"f".repeat(64)}`), 404, "not_found");
    expectProblem(await api("GET", "/v1/campaigns/xyz"), 400, "validation_failed");
    expectProblem(await api("GET", "/v1/campaigns?advertiser=nobody"), 400, "validation_failed");
    expectProblem(await api("GET", "/v1/campaigns"), 400, "validation_failed");
    expectSupplyInvariant(await supply());
  });

  it("GET /v1/campaigns pages newest first with limit and an opaque cursor; bad cursors are 400s", async () => {
    const adv = await funded("1000");
    const ids = await Promise.all([0, 1, 2].map(() => createCampaign(adv, campaignBody(kw(), { budget: "10" }))));
    const q = `/v1/campaigns?advertiser=${encodeURIComponent(adv.did)}`;
    const all = await api("GET", q);
    expect(all.status).toBe(200);
    expect(all.body.nextCursor).toBeUndefined();
    const newestFirst = all.body.campaigns.map((x: { id: string }) => x.id);
    expect([...newestFirst].sort()).toEqual([...ids].sort());
    const p1 = await api("GET", `${q}&limit=2`);
    expect(p1.body.campaigns.map((x: { id: string }) => x.id)).toEqual(newestFirst.slice(0, 2));
    expect(typeof p1.body.nextCursor).toBe("string");
    const p2 = await api("GET", `${q}&limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body.campaigns.map((x: { id: string }) => x.id)).toEqual(newestFirst.slice(2));
    expect(p2.body.nextCursor).toBeUndefined();
    expectProblem(await api("GET", `${q}&cursor=not-a-cursor`), 400, "validation_failed");
    expectProblem(await api("GET", `${q}&limit=0`), 400, "validation_failed");
    expectProblem(await api("GET", `${q}&limit=101`), 400, "validation_failed");
  });

  it("update: only the advertiser, only an existing campaign; addBudget escrows more; ended returns the unspent escrow", async () => {
    const adv = await funded("1000");
    const other = await funded("1000");
    const id = await createCampaign(adv, campaignBody(kw(), { budget: "300" }));
    expect(await campaignEvent(other, "campaign.update", { campaign: id, status: "paused" })).toMatchObject({ status: "rejected" });
    expect(await campaignEvent(adv, "campaign.update", { campaign: "e".repeat(64), status: "paused" })).toMatchObject({ status: "rejected" });
    expect(await campaignEvent(adv, "campaign.update", { campaign: id, addBudget: "701" })).toMatchObject({ status: "failed", reason: "insufficient_balance" });
    expect(await campaignEvent(adv, "campaign.update", { campaign: id, addBudget: "200" })).toMatchObject({ status: "applied" });
    expect(await account(adv.did)).toMatchObject({ balance: "500", escrowed: "500" });
    expect((await campaign(id)).budget).toBe("500");
    expect(await campaignEvent(adv, "campaign.update", { campaign: id, status: "paused" })).toMatchObject({ status: "applied" });
    expect((await campaign(id)).status).toBe("paused");
    expect(await campaignEvent(adv, "campaign.update", { campaign: id, status: "ended" })).toMatchObject({ status: "applied" });
    expect((await campaign(id)).status).toBe("ended");
    // Nothing was reserved: the close follows at once and the whole escrow comes back.
    await until(() => account(adv.did), (a) => a.balance === "1000" && a.escrowed === "0", 30_000, "escrow refund");
    expect((await untilCampaign(id, (c) => c.closed)).spent).toBe("0");
    expect(await campaignEvent(adv, "campaign.update", { campaign: id, addBudget: "1" })).toMatchObject({ status: "failed", reason: "campaign_ended" });
    expectSupplyInvariant(await supply());
  });
});

describe("auctions and interactions", () => {
  it("second price with a floor, token, impression charged once, settled to publisher and pool; ended refunds the rest", async () => {
    const adv = await funded("10000");
    const pub = await newIdentity();
    const k = kw();
    const high = await createCampaign(adv, campaignBody(k, { bid: { model: "cpm", amount: "5000" }, budget: "100" }));
    await createCampaign(adv, campaignBody(k, { bid: { model: "cpm", amount: "3000" }, budget: "100" }));
    const poolBefore = await poolEscrowed();

    // 5000 vs 3000, floor 2000: clearing 3001 → 4 units per impression.
    const r = await auction(pub, { placement: "top", publisher: pub.did, context: { keywords: [k.toUpperCase()] }, floor: "2000" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ campaignId: high, model: "cpm", price: "4", creative: { title: "Buy echo" } });
    expect(r.body.auctionId).toMatch(/^[0-9a-f]{32}$/);
    expect(Date.parse(r.body.expiresAt)).toBeGreaterThan(Date.now());
    // Floor 4000: clearing 4001 → 5.
    const r2 = await auction(pub, { placement: "top", publisher: pub.did, context: { keywords: [k] }, floor: "4000" });
    expect(r2.body.price).toBe("5");
    // Floor above every bid: no ad.
    expect((await auction(pub, { placement: "top", publisher: pub.did, context: { keywords: [k] }, floor: "6000" })).status).toBe(204);
    // No matching targeting: no ad.
    expect((await auction(pub, { placement: "top", publisher: pub.did, context: { keywords: [kw()] } })).status).toBe(204);

    // The same impression five times, a replay later, and a click (CPM pays per impression only).
    const sends = await Promise.all([...Array(5)].map(() => adEvent(r.body.token, "impression")));
    for (const s of sends) expect(s.status).toBe(202);
    expect((await adEvent(r.body.token, "click")).status).toBe(202);
    const c = await untilCampaign(high, (x) => x.impressions === 1 && x.clicks === 1 && x.spent === "4");
    expect(c.spent).toBe("4");
    expect((await adEvent(r.body.token, "impression")).status).toBe(202);

    // Settlement: 70% of 4 → 2 to the publisher (floor), the rest to the PoE pool.
    await until(() => account(pub.did), (a) => a.balance === "2", 30_000, "publisher payout");
    expect((await poolEscrowed()) - poolBefore).toBe(2n);
    expect((await account(adv.did)).escrowed).toBe("196");
    expect((await campaign(high)).spent).toBe("4");

    // Ending returns budget − spent once the outstanding reservation (r2) is released.
    expect(await campaignEvent(adv, "campaign.update", { campaign: high, status: "ended" })).toMatchObject({ status: "applied" });
    expect((await auction(pub, { placement: "top", publisher: pub.did, context: { keywords: [k] }, floor: "3500" })).status).toBe(204);
    await untilCampaign(high, (x) => x.closed, 30_000);
    await until(() => account(adv.did), (a) => a.escrowed === "100", 30_000, "refund of the ended campaign");
    expect((await account(adv.did)).balance).toBe(String(10000 - 200 + 96));
    expectSupplyInvariant(await supply());
  });

  it("CPC: charged per click, once, and only with an impression (a click first waits for it)", async () => {
    const adv = await funded("10000");
    const pub = await newIdentity();
    const k = kw();
    const id = await createCampaign(adv, campaignBody(k, { bid: { model: "cpc", amount: "50" }, budget: "500" }));
    const r = await auction(pub, { placement: "side", publisher: pub.did, context: { keywords: [k] } });
    expect(r.status).toBe(200);
    // Alone: clearing = 0 + 1 → ceil(1 / (1000 × 1/100)) = 1 per click.
    expect(r.body).toMatchObject({ model: "cpc", price: "1" });
    expect((await adEvent(r.body.token, "click")).status).toBe(202);
    expect((await adEvent(r.body.token, "click")).status).toBe(202);
    expect((await adEvent(r.body.token, "impression")).status).toBe(202);
    const c = await untilCampaign(id, (x) => x.clicks === 1 && x.impressions === 1, 30_000);
    expect(c.spent).toBe("1");
    expect(c.ctr).toBe(1);
  });

  it("a campaign ends exhausted when its budget is spent, and serves no more", async () => {
    const adv = await funded("1000");
    const pub = await newIdentity();
    const k = kw();
    // Alone with floor 2999: 3 per impression; the budget covers exactly 2.
    const id = await createCampaign(adv, campaignBody(k, { budget: "6" }));
    let wins = 0;
    await until(
      async () => {
        const r = await auction(pub, { placement: "e", publisher: pub.did, context: { keywords: [k] }, floor: "2999" });
        if (r.status === 200) {
          wins++;
          expect((await adEvent(r.body.token, "impression")).status).toBe(202);
        }
        return wins;
      },
      (n) => n >= 2,
      30_000,
      "two wins",
    );
    const c = await untilCampaign(id, (x) => x.status === "exhausted");
    expect(c).toMatchObject({ spent: "6", reserved: "0", remaining: "0", impressions: 2 });
    expect((await auction(pub, { placement: "e", publisher: pub.did, context: { keywords: [k] }, floor: "2999" })).status).toBe(204);
    await until(() => account(adv.did), (a) => a.escrowed === "0", 30_000, "settlement of the whole budget");
  });

  it("a campaign with endsAt serves until then and ends by itself: no more ads, updates fail, the unspent escrow comes back", async () => {
    const adv = await funded("1000");
    const pub = await newIdentity();
    const k = kw();
    // Already over at intake: witnesses reject it (no budget is locked).
    const past = new Date(Date.now() - 1_000).toISOString();
    expect(await campaignEvent(adv, "campaign.create", campaignBody(k, { budget: "300", endsAt: past }))).toMatchObject({ status: "rejected", reason: "ends_in_past" });
    expect(await account(adv.did)).toMatchObject({ balance: "1000", escrowed: "0" });
    const endsAt = new Date(Date.now() + 6_000).toISOString();
    const id = await createCampaign(adv, campaignBody(k, { budget: "300", endsAt }));
    expect((await campaign(id)).endsAt).toBe(endsAt);
    // Alone with floor 2999: 3 per impression.
    const r = await auction(pub, { placement: "e", publisher: pub.did, context: { keywords: [k] }, floor: "2999" });
    expect(r.status).toBe(200);
    expect((await adEvent(r.body.token, "impression")).status).toBe(202);
    await untilCampaign(id, (x) => x.spent === "3");

    const ended = await until(() => campaign(id), (c) => c.status === "ended", 30_000, "ended at endsAt");
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(endsAt));
    expect(ended.closed).toBe(false); // its slices are still held until endsAt + token TTL + grace
    expect((await auction(pub, { placement: "e", publisher: pub.did, context: { keywords: [k] }, floor: "2999" })).status).toBe(204);
    expect(await campaignEvent(adv, "campaign.update", { campaign: id, addBudget: "1" })).toMatchObject({ status: "failed", reason: "campaign_ended" });
    expect(await campaignEvent(adv, "campaign.update", { campaign: id, status: "active" })).toMatchObject({ status: "failed", reason: "campaign_ended" });

    // No campaign.update ended: the close follows once the slices are released.
    expect(await untilCampaign(id, (x) => x.closed, 30_000)).toMatchObject({ status: "ended", spent: "3", reserved: "0", impressions: 1 });
    await until(() => account(adv.did), (a) => a.balance === "997" && a.escrowed === "0", 30_000, "refund at endsAt");
    await until(() => account(pub.did), (a) => a.balance === "2", 30_000, "publisher payout");
    expectSupplyInvariant(await supply());
  });

  it("an AdMarket shard reset mid-slice resumes from its recorded mark: it never issues past its slice, every token charges", async () => {
    const adv = await funded("1000");
    const pub = await newIdentity();
    const k = kw();
    const id = await createCampaign(adv, campaignBody(k, { budget: "300" }));
    const viewer = `viewer-${k}`; // pins every auction to one shard
    const shard = adMarketShard(viewerShard(viewer, 4));
    const tokens: string[] = [];
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await auction(pub, { placement: "r", publisher: pub.did, context: { keywords: [k] }, viewer, floor: "2999" });
        if (r.status === 200) tokens.push(r.body.token);
      }
    };
    await run(5);
    expect(tokens).toHaveLength(5);
    expect((await api("POST", "/v1/admin/faults", { body: { resetDurableObject: { class: "AdMarket", name: shard } }, headers: ADMIN, ip: freshIp() })).status).toBe(200);
    await run(20);
    expect(tokens.length).toBeGreaterThan(5);
    for (const s of await Promise.all(tokens.map((t) => adEvent(t, "impression")))) expect(s.status).toBe(202);
    // An over-issued token would be void (its slice cannot cover it) and count no impression.
    const c = await untilCampaign(id, (x) => x.impressions === tokens.length, 30_000);
    expect(c.spent).toBe(String(3 * tokens.length));
  });

  it("a re-delivered block effect never re-installs a slice the shard has replaced since (it would restart at 0 issued)", async () => {
    const k = kw();
    const shard = env.AD_MARKET.getByName(adMarketShard(viewerShard(`viewer-${k}`, 4)));
    const entry = {
      id: Array.from({ length: 64 }, () => "0123456789abcdef"[Math.floor(Math.random() * 16)]).join(""),
      advertiser: (await newIdentity()).did,
      createdSeq: 1,
      model: "cpm" as const,
      bid: "5000",
      targeting: { keywords: [k] },
      creative: { title: "t", text: "x", url: "https://example.com" },
      status: "active" as const,
      impressions: 0,
      clicks: 0,
    };
    const until = Date.now() + 60_000;
    const leaseOf = async () => {
      const r = await shard.auction({ placement: "p", publisher: "did:key:z6Mkpub", context: { keywords: [k] }, viewer: `viewer-${k}`, floor: "2999" });
      return r ? (JSON.parse(new TextDecoder().decode(fromBase64Url(r.token.split(".")[1]!))) as { l: string }).l : null;
    };
    await shard.upsert([{ entry, lease: { id: "L1", amount: "30", issueUntil: until } }]);
    expect(await leaseOf()).toBe("L1");
    await shard.upsert([{ entry, lease: { id: "L2", amount: "30", issueUntil: until } }]); // a later block: L1 handed back
    expect(await leaseOf()).toBe("L2");
    await shard.upsert([{ entry, lease: { id: "L1", amount: "30", issueUntil: until } }]); // the first block's step, retried
    expect(await leaseOf()).toBe("L2");
    await shard.upsert([{ entry, lease: { id: "L3", amount: "30", issueUntil: Date.now() - 1 } }]); // its window is over
    expect(await leaseOf()).toBe("L2");
  });

  it("tokens: forged 400 invalid_token, expired 410 token_expired, bad bodies 400", async () => {
    const adv = await funded("1000");
    const pub = await newIdentity();
    const k = kw();
    await createCampaign(adv, campaignBody(k, { budget: "100" }));
    const r = await auction(pub, { placement: "x", publisher: pub.did, context: { keywords: [k] } });
    expect(r.status).toBe(200);
    const token: string = r.body.token;
    const [v, payload, mac] = token.split(".") as [string, string, string];
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    const forgedPayload = btoa(JSON.stringify({ ...claims, p: String(Number(claims.p) + 1000) })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    for (const bad of [`${v}.${forgedPayload}.${mac}`, `${v}.${payload}.${mac.slice(0, -2)}AA`, "v1.e30.AAAA", "garbage", "v2.a.b"]) {
      expectProblem(await adEvent(bad, "impression"), 400, "invalid_token");
    }
    expectProblem(await api("POST", "/v1/ads/events", { body: { token, type: "view" } }), 400, "validation_failed");
    expectProblem(await api("POST", "/v1/ads/events", { body: { token } }), 400, "validation_failed");
    expectProblem(await api("POST", "/v1/ads/events", { body: { token, type: "click", extra: 1 } }), 400, "validation_failed");
    expectProblem(await api("POST", "/v1/ads/events", { raw: "{not json", headers: { "content-type": "application/json" } }), 400, "validation_failed");
    // AD_TOKEN_TTL_MS is 4 s in this project.
    const expired = await until(() => adEvent(token, "impression"), (x) => x.status !== 202, 15_000, "token expiry");
    expectProblem(expired, 410, "token_expired");
  });

  it("auction bad input: 401 for missing/bad auth or a publisher mismatch, 400 for malformed bodies, never a 5xx", async () => {
    const pub = await newIdentity();
    const other = await newIdentity();
    const ok = { placement: "p", publisher: pub.did };
    expectProblem(await auction(pub, ok, { auth: null }), 401, "unauthorized");
    expectProblem(await auction(pub, ok, { auth: `EchoNet did="${pub.did}", ts="${new Date().toISOString()}", sig="${"A".repeat(86)}"` }), 401, "unauthorized");
    expectProblem(await auction(other, ok), 401, "unauthorized");
    expectProblem(await auction(pub, {}, { raw: "{oops" }), 400, "validation_failed");
    expectProblem(await auction(pub, { ...ok, extra: true }), 400, "validation_failed");
    expectProblem(await auction(pub, { ...ok, floor: "-1" }), 400, "validation_failed");
    expectProblem(await auction(pub, { ...ok, context: { tags: ["Not A Tag"] } }), 400, "validation_failed");
    expectProblem(await auction(pub, {}, { raw: JSON.stringify({ ...ok, placement: "x".repeat(20_000) }) }), 413, "payload_too_large");
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              placement: fc.oneof(fc.string(), fc.integer()),
              publisher: fc.constantFrom(pub.did, other.did, "did:key:x"),
              context: fc.oneof(fc.constant(undefined), fc.record({ keywords: fc.array(fc.string()), tags: fc.array(fc.string()), lang: fc.string() }, { requiredKeys: [] })),
              viewer: fc.oneof(fc.constant(undefined), fc.string()),
              floor: fc.oneof(fc.constant(undefined), fc.string(), fc.nat().map(String)),
            },
            { requiredKeys: [] },
          ),
        ),
        async (body) => {
          const r = await auction(pub, body as Record<string, unknown>);
          expect([200, 204, 400, 401]).toContain(r.status);
          if (r.status >= 400) expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("frequency cap per viewer and daily budget hold under concurrency", async () => {
    const adv = await funded("100000");
    const pub = await newIdentity();
    const k = kw();
    const capped = await createCampaign(adv, campaignBody(k, { budget: "10000", frequencyCap: 2 }));
    const wins = (await Promise.all([...Array(20)].map(() => auction(pub, { placement: "f", publisher: pub.did, context: { keywords: [k] }, viewer: "viewer-1" })))).filter(
      (r) => r.status === 200 && r.body.campaignId === capped,
    );
    expect(wins.length).toBe(2);
    // Another viewer is not capped.
    expect((await auction(pub, { placement: "f", publisher: pub.did, context: { keywords: [k] }, viewer: "viewer-2" })).status).toBe(200);

    const k2 = kw();
    // Alone, floor 2999 → clearing 3000 → 3 per impression; the day allows 9.
    const daily = await createCampaign(adv, campaignBody(k2, { budget: "10000", dailyBudget: "9" }));
    const results = await Promise.all([...Array(40)].map(() => auction(pub, { placement: "d", publisher: pub.did, context: { keywords: [k2] }, floor: "2999" })));
    const won = results.filter((r) => r.status === 200);
    expect(won.length).toBeGreaterThan(0);
    expect(won.length).toBeLessThanOrEqual(3);
    await Promise.all(won.map((r) => adEvent(r.body.token, "impression")));
    const c = await untilCampaign(daily, (x) => x.impressions === won.length);
    expect(BigInt(c.spent)).toBe(3n * BigInt(won.length));
    expect(BigInt(c.spent) + BigInt(c.reserved)).toBeLessThanOrEqual(9n);
  });

  it("500 concurrent auctions and interactions against a small budget: never overspent, every charge paid once, supply holds", async () => {
    const adv = await funded("100000");
    const pubs = await Promise.all([...Array(5)].map(() => newIdentity()));
    const k = kw();
    // Alone with floor 2999: 3 units per impression; the budget covers 10.
    const id = await createCampaign(adv, campaignBody(k, { budget: "30" }));
    const poolBefore = await poolEscrowed();

    let observing = true;
    const observations: Promise<number> = (async () => {
      let n = 0;
      while (observing) {
        const c = await campaign(id);
        expect(BigInt(c.spent) + BigInt(c.reserved)).toBeLessThanOrEqual(30n);
        n++;
      }
      return n;
    })();
    const results = await Promise.all(
      [...Array(500)].map(async (_, i) => {
        const pub = pubs[i % pubs.length]!;
        const r = await auction(pub, { placement: `slot-${i % 7}`, publisher: pub.did, context: { keywords: [k] }, floor: "2999", viewer: `v${i}` });
        if (r.status !== 200) return { won: false, accepted: 0 };
        expect(r.body.price).toBe("3");
        // Each winner reports its impression twice (a duplicate) and a click (not billable).
        const evs = await Promise.all([adEvent(r.body.token, "impression"), adEvent(r.body.token, "impression"), adEvent(r.body.token, "click")]);
        for (const e of evs) expect(e.status).toBe(202);
        return { won: true, accepted: 1 };
      }),
    );
    const wins = results.filter((r) => r.won).length;
    expect(wins).toBeGreaterThan(0);
    expect(wins).toBeLessThanOrEqual(10);
    const c = await untilCampaign(id, (x) => x.impressions === wins, 60_000);
    observing = false;
    expect(await observations).toBeGreaterThan(0);
    expect(c.spent).toBe(String(3 * wins));

    // Paid out exactly once: publisher balances + pool growth = spent; the advertiser's escrow
    // is the budget minus what was settled.
    await until(() => account(adv.did), (a) => a.escrowed === String(30 - 3 * wins), 30_000, "settlement");
    const balances = await Promise.all(pubs.map((p) => account(p.did)));
    const paid = balances.reduce((s, a) => s + BigInt(a.balance), 0n);
    const pooled = (await poolEscrowed()) - poolBefore;
    expect(paid + pooled).toBe(BigInt(3 * wins));
    expect(paid).toBeGreaterThanOrEqual((BigInt(3 * wins) * 7000n) / 10000n - BigInt(pubs.length));
    expectSupplyInvariant(await supply());
    // More interactions with the same tokens change nothing.
    expect((await campaign(id)).spent).toBe(String(3 * wins));
  });
});
