// Ad marketplace helpers for tests: campaigns by signed events, auctions with request auth by
// the publisher, interaction events, campaign reads.
import { expect } from "vitest";
import { api, freshIp, signedEvent, submit, until, type Identity } from "./client";
import { waitFinal } from "./ledger";
import { requestAuthHeader } from "../../src/lib/request-auth";
import { utf8 } from "../../src/lib/encoding";

const ip = freshIp();

export const campaignBody = (keyword: string, over: Record<string, unknown> = {}) => ({
  name: `campaign ${keyword}`,
  bid: { model: "cpm", amount: "5000" },
  budget: "30",
  targeting: { keywords: [keyword] },
  creative: { title: "Buy echo", text: "The best echo", url: "https://example.com/ad" },
  ...over,
});

/** Submits a campaign event and waits for its final status. */
export async function campaignEvent(who: Identity, kind: "campaign.create" | "campaign.update", body: Record<string, unknown>) {
  const r = await submit(await signedEvent(who, kind, body), ip);
  expect(r.status).toBe(202);
  return (await waitFinal(r.body.id)).body as { id: string; status: string; reason?: string };
}

export async function createCampaign(who: Identity, body: Record<string, unknown>): Promise<string> {
  const r = await campaignEvent(who, "campaign.create", body);
  expect(r.status).toBe("applied");
  return r.id;
}

export async function auction(publisher: Identity, body: Record<string, unknown>, opts: { ip?: string; raw?: string; auth?: string | null } = {}) {
  const raw = opts.raw ?? JSON.stringify(body);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.auth !== null) headers.authorization = opts.auth ?? (await requestAuthHeader(publisher.did, publisher.privateKey, "POST", "/v1/ads/auction", utf8(raw)));
  return api("POST", "/v1/ads/auction", { raw, headers, ip: opts.ip ?? freshIp() });
}

export const adEvent = (token: string, type: "impression" | "click", evIp?: string) => api("POST", "/v1/ads/events", { body: { token, type }, ip: evIp ?? freshIp() });

export async function campaign(id: string) {
  const r = await api("GET", `/v1/campaigns/${id}`, { ip });
  expect(r.status).toBe(200);
  return r.body as {
    id: string;
    status: string;
    budget: string;
    spent: string;
    reserved: string;
    remaining: string;
    impressions: number;
    clicks: number;
    closed: boolean;
    [k: string]: unknown;
  };
}

/** Polls the campaign until `ok`, asserting spent + reserved ≤ budget at every observation. */
export async function untilCampaign(id: string, ok: (c: Awaited<ReturnType<typeof campaign>>) => boolean, timeoutMs = 30_000) {
  return until(
    async () => {
      const c = await campaign(id);
      expect(BigInt(c.spent) + BigInt(c.reserved)).toBeLessThanOrEqual(BigInt(c.budget));
      return c;
    },
    ok,
    timeoutMs,
    `campaign ${id}`,
  );
}

export async function supply() {
  const r = await api("GET", "/v1/ledger/supply", { ip });
  expect(r.status).toBe(200);
  return r.body as { minted: string; burned: string; circulating: string; escrowed: string; inFlight: string; height: number };
}

export function expectSupplyInvariant(s: Awaited<ReturnType<typeof supply>>) {
  expect(BigInt(s.minted) - BigInt(s.burned)).toBe(BigInt(s.circulating) + BigInt(s.escrowed) + BigInt(s.inFlight));
}
