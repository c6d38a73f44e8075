// History check for one campaign (issue 9 item 6, DESIGN §7): concurrent auctions by several
// publishers, impressions and clicks with the returned tokens (duplicates included), and
// concurrent campaign reads, each recorded with its invocation and completion time and its
// result, then checked against the sequential model in test/helpers/history.ts: spent +
// reserved ≤ budget in every read, spent never decreases, every read is reachable from the
// interactions reported before it, and the final spent is Σ price of the accepted billable
// (auctionId, type) pairs, each charged once.
import { describe, expect, it } from "vitest";
import { api, freshIp, newIdentity } from "../helpers/client";
import { mint, waitFinal } from "../helpers/ledger";
import { adEvent, auction, campaignBody, createCampaign } from "../helpers/ads";
import { checkCampaignHistory, type CampaignOp } from "../helpers/history";

const kw = () => `hist${Math.random().toString(36).slice(2, 10)}`;

async function run(model: "cpm" | "cpc", bid: string, budget: string, floor?: string) {
  const adv = await newIdentity();
  expect((await waitFinal(await mint(adv.did, "100000"))).body.status).toBe("applied");
  const k = kw();
  const id = await createCampaign(adv, campaignBody(k, { bid: { model, amount: bid }, budget }));
  const pubs = await Promise.all([...Array(4)].map(() => newIdentity()));
  const history: CampaignOp[] = [];
  const readOnce = async (client: string, final = false) => {
    const invokeAt = performance.now();
    const r = await api("GET", `/v1/campaigns/${id}`, { ip: freshIp() });
    expect(r.status).toBe(200);
    const v = { spent: BigInt(r.body.spent), reserved: BigInt(r.body.reserved), budget: BigInt(r.body.budget), impressions: r.body.impressions as number, clicks: r.body.clicks as number };
    history.push({ type: "read", client, invokeAt, completeAt: performance.now(), ...(final ? { final } : {}), result: v });
    return v;
  };
  const event = async (client: string, auctionId: string, token: string, kind: "impression" | "click") => {
    const invokeAt = performance.now();
    const r = await adEvent(token, kind);
    history.push({ type: "event", client, invokeAt, completeAt: performance.now(), auctionId, kind, result: { status: r.status } });
    expect([202, 410]).toContain(r.status);
    return r.status;
  };

  let stop = false;
  const readers = [...Array(2)].map(async (_, i) => {
    while (!stop) await readOnce(`reader-${i}`);
  });
  const publishers = pubs.map(async (pub, p) => {
    for (let i = 0; i < 12; i++) {
      const client = `pub-${p}`;
      const invokeAt = performance.now();
      const r = await auction(pub, { placement: `slot-${i % 3}`, publisher: pub.did, context: { keywords: [k] }, ...(floor ? { floor } : {}), viewer: `v${p}-${i}` });
      expect([200, 204]).toContain(r.status);
      const completeAt = performance.now();
      if (r.status === 204) {
        history.push({ type: "auction", client, invokeAt, completeAt, result: { won: false } });
        continue;
      }
      const { auctionId, token, price } = r.body as { auctionId: string; token: string; price: string };
      history.push({ type: "auction", client, invokeAt, completeAt, result: { won: true, auctionId, model, price: BigInt(price) } });
      // Some winners never report (their reservation expires), some report twice at once,
      // most click after the impression; a few click twice.
      if (i % 5 === 4) continue;
      const copies = i % 3 === 0 ? 2 : 1;
      const imp = await Promise.all([...Array(copies)].map(() => event(client, auctionId, token, "impression")));
      if (imp.includes(202) && i % 4 !== 1) await Promise.all([...Array(i % 2 === 0 ? 2 : 1)].map(() => event(client, auctionId, token, "click")));
    }
  });
  await Promise.all(publishers);

  // Quiescence: the queue has charged everything it will (the model's final state), then
  // one final read. Reads go on meanwhile and join the history.
  const expectedImpressions = new Set(history.filter((o) => o.type === "event" && o.kind === "impression" && o.result.status === 202).map((o) => (o as { auctionId: string }).auctionId)).size;
  const deadline = Date.now() + 30_000;
  while ((await readOnce("final-poll")).impressions < expectedImpressions && Date.now() < deadline);
  // A click is charged after its impression (retried until it arrives): poll until stable.
  let last = await readOnce("final-poll");
  for (let same = 0; same < 5 && Date.now() < deadline; ) {
    const v = await readOnce("final-poll");
    same = v.spent === last.spent && v.clicks === last.clicks && v.impressions === last.impressions ? same + 1 : 0;
    last = v;
  }
  stop = true;
  await Promise.all(readers);
  await readOnce("final", true);

  const anomalies = checkCampaignHistory(history);
  const wins = history.filter((o) => o.type === "auction" && o.result.won).length;
  const reads = history.filter((o) => o.type === "read").length;
  const events = history.filter((o) => o.type === "event").length;
  return { anomalies, wins, reads, events, final: last };
}

describe("campaign history under concurrency", () => {
  it("CPM: 48 auctions, impressions (duplicated) and clicks, 2 concurrent readers: the history fits the sequential model", async () => {
    // Alone with floor 2999 → 3 per impression; the budget covers 20.
    const r = await run("cpm", "5000", "60", "2999");
    expect(r.anomalies).toEqual([]);
    expect(r.wins).toBeGreaterThan(0);
    expect(r.reads).toBeGreaterThan(10);
    expect(r.final.spent).toBeGreaterThan(0n);
    console.log(`campaign history (cpm): ${r.wins} wins, ${r.events} events, ${r.reads} reads, final spent ${r.final.spent}, 0 anomalies`);
  });

  it("CPC: charged per click (after its impression), once: the history fits the sequential model", async () => {
    // Alone, no floor → clearing 1 → 1 per click (ctr_est 1/100); the budget covers 12.
    const r = await run("cpc", "50", "12");
    expect(r.anomalies).toEqual([]);
    expect(r.wins).toBeGreaterThan(0);
    expect(r.final.clicks).toBeGreaterThan(0);
    console.log(`campaign history (cpc): ${r.wins} wins, ${r.events} events, ${r.reads} reads, final spent ${r.final.spent}, 0 anomalies`);
  });
});
