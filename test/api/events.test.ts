// POST /v1/events and GET /v1/events/:id: every error code, in the order of DESIGN §4.
import { describe, expect, it } from "vitest";
import { api, expectProblem, freshIp, inOneWindow, newIdentity, post, signedEvent, submit, waitForStatus } from "../helpers/client";

const ip = freshIp();
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

describe("POST /v1/events", () => {
  it("202 pending for a new valid event, then attested with a receipt", async () => {
    const me = await newIdentity();
    const ev = await post(me, "first post");
    const r = await submit(ev, ip);
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ id: expect.stringMatching(/^[0-9a-f]{64}$/), status: "pending" });
    const done = await waitForStatus(r.body.id, ["attested"]);
    expect(done.body.event).toEqual(ev);
    expect(done.body.receipt.committee).toHaveLength(5);
    expect(done.body.receipt.quorum).toBe(4);
    expect(done.body.receipt.attestations.every((a: any) => a.verdict === "accept" && !("reason" in a))).toBe(true);
  });

  it("413 payload_too_large before anything else, even for invalid JSON", async () => {
    const big = "x".repeat(65_537);
    expectProblem(await api("POST", "/v1/events", { raw: big, ip }), 413, "payload_too_large");
    const me = await newIdentity();
    const ev = await signedEvent(me, "content.post", { text: "y".repeat(70_000) });
    expectProblem(await submit(ev, ip), 413, "payload_too_large");
    // A streamed body with no Content-Length is cut off at the limit, too.
    const chunk = new TextEncoder().encode("z".repeat(16_384));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 8) c.enqueue(chunk);
        else c.close();
      },
    });
    expectProblem(await api("POST", "/v1/events", { raw: stream, ip }), 413, "payload_too_large");
  });

  it("400 validation_failed for bad JSON and schema violations, with an errors array", async () => {
    const me = await newIdentity();
    const good = await post(me);
    const cases: unknown[] = [
      "{not json",
      [],
      null,
      { ...good, extra: 1 },
      { ...good, v: 2 },
      { ...good, kind: "content.nope" },
      { ...good, kind: "sys.mint" },
      { ...good, author: "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme" },
      { ...good, nonce: "" },
      { ...good, nonce: "has space" },
      { ...good, createdAt: "2026-11-27T01:02:03Z" },
      { ...good, createdAt: "2026-02-31T01:02:03.000Z" },
      { ...good, sig: "abc" },
      { ...good, body: { text: "" } },
      { ...good, body: { text: "x", unknown: true } },
      { ...good, kind: "ledger.transfer", body: { to: me.did, amount: "01" } },
      { ...good, kind: "ledger.transfer", body: { to: me.did, amount: "-5" } },
      { ...good, kind: "ledger.transfer", body: { to: me.did, amount: 5 } },
      { ...good, kind: "interaction.like", body: { target: "ABC" } },
      { ...good, kind: "campaign.create", body: { name: "c", bid: { model: "cpm", amount: "999" }, budget: "10", targeting: {}, creative: { title: "t", text: "x", url: "https://a.example" } } },
      { ...good, kind: "campaign.create", body: { name: "c", bid: { model: "cpc", amount: "5" }, budget: "10", targeting: {}, creative: { title: "t", text: "x", url: "javascript:alert(1)" } } },
      { ...good, kind: "campaign.update", body: { campaign: "a".repeat(64) } },
      { ...good, kind: "content.post", body: { text: "x", chunks: ["QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"] } },
    ];
    for (const c of cases) {
      const r = typeof c === "string" ? await api("POST", "/v1/events", { raw: c, ip }) : await submit(c, ip);
      expectProblem(r, 400, "validation_failed");
      expect(Array.isArray(r.body.errors) && r.body.errors.length > 0).toBe(true);
    }
  });

  it("accepts every event kind of DESIGN §4 at the edge", async () => {
    const me = await newIdentity();
    const target = "ab".repeat(32);
    const bodies: [string, Record<string, unknown>][] = [
      ["content.post", { title: "t", text: "body", tags: ["news", "tech"], lang: "en", chunks: ["bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"] }],
      ["content.delete", { target }],
      ["interaction.like", { target }],
      ["interaction.share", { target }],
      ["interaction.view", { target }],
      ["interaction.comment", { target, text: "nice" }],
      ["ledger.transfer", { to: me.did, amount: "1500000", memo: "rent" }],
      ["campaign.create", { name: "c", bid: { model: "cpm", amount: "1000" }, budget: "5000000", dailyBudget: "100000", targeting: { keywords: ["k"], tags: ["news"], langs: ["en"] }, creative: { title: "t", text: "x", url: "https://echonet.example/ad" }, frequencyCap: 3, endsAt: "2027-01-01T00:00:00.000Z" }],
      ["campaign.update", { campaign: target, status: "paused", addBudget: "10" }],
      ["contract.call", { contract: "escrow", version: 1, method: "create", args: { to: me.did, amount: "10" } }],
    ];
    for (const [kind, body] of bodies) {
      const r = await submit(await signedEvent(me, kind, body), ip);
      expect(r.status, kind).toBe(202);
    }
  });

  it("200 with the current status for a known id — even with a different (bad) signature", async () => {
    const me = await newIdentity();
    const ev = await post(me);
    const first = await submit(ev, ip);
    expect(first.status).toBe(202);
    const other = await post(me, "something else");
    const again = await submit({ ...ev, sig: other.sig }, ip);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(["pending", "attested"]).toContain(again.body.status);
    await waitForStatus(first.body.id, ["attested"]);
    const later = await submit(ev, ip);
    expect(later).toMatchObject({ status: 200, body: { id: first.body.id, status: "attested" } });
  });

  it("401 invalid_signature: another key, another event's signature", async () => {
    const me = await newIdentity();
    const mallory = await newIdentity();
    const ev = await post(me);
    const forged = await signedEvent(mallory, "content.post", { text: "x" });
    expectProblem(await submit({ ...forged, author: me.did }, ip), 401, "invalid_signature");
    const other = await post(me, "other");
    expectProblem(await submit({ ...ev, sig: other.sig }, ip), 401, "invalid_signature");
  });

  it("422 stale_event outside CLOCK_SKEW_MS, and 401 outranks 422", async () => {
    const me = await newIdentity();
    const old = await signedEvent(me, "content.post", { text: "old" }, { createdAt: minutesAgo(6) });
    expectProblem(await submit(old, ip), 422, "stale_event");
    const future = await signedEvent(me, "content.post", { text: "future" }, { createdAt: minutesAgo(-6) });
    expectProblem(await submit(future, ip), 422, "stale_event");
    const edge = await signedEvent(me, "content.post", { text: "edge" }, { createdAt: minutesAgo(4) });
    expect((await submit(edge, ip)).status).toBe(202);
    const other = await post(me, "other");
    expectProblem(await submit({ ...old, sig: other.sig }, ip), 401, "invalid_signature");
  });

  it("429 rate_limited per author after 100 events / 10 s, with Retry-After; 401 and 422 outrank it", async () => {
    // Sign everything first, then fire the burst inside one limiter window.
    const outcome = await inOneWindow(async () => {
      const me = await newIdentity();
      const evs = await Promise.all(Array.from({ length: 101 }, (_, i) => post(me, `burst ${i}`)));
      const stale = await signedEvent(me, "content.post", { text: "old" }, { createdAt: minutesAgo(10) });
      const forged = { ...(await post(me, "y")), sig: evs[100]!.sig };
      const results = await Promise.all(evs.slice(0, 100).map((e) => submit(e, ip)));
      const over = await submit(evs[100], ip);
      const known = await submit(evs[0], ip);
      const staleR = await submit(stale, ip);
      const forgedR = await submit(forged, ip);
      return { results, over, known, staleR, forgedR };
    });
    expect(outcome.results.map((r) => r.status)).toEqual(Array(100).fill(202));
    expectProblem(outcome.over, 429, "rate_limited");
    expect(outcome.over.headers.get("retry-after")).toBe("10");
    // A known id is still answered with its status, never 429; 422 and 401 come first.
    expect(outcome.known.status).toBe(200);
    expectProblem(outcome.staleR, 422, "stale_event");
    expectProblem(outcome.forgedR, 401, "invalid_signature");
    // Another author is unaffected.
    expect((await submit(await post(await newIdentity()), ip)).status).toBe(202);
  });
});

describe("GET /v1/events/:id", () => {
  it("400 for a malformed id, 404 for an unknown one", async () => {
    expectProblem(await api("GET", "/v1/events/xyz", { ip }), 400, "validation_failed");
    expectProblem(await api("GET", `/v1/events/${"A".repeat(64)}`, { ip }), 400, "validation_failed");
    expectProblem(await api("GET", `/v1/events/${"0".repeat(64)}`, { ip }), 404, "not_found");
  });
});

describe("edge", () => {
  it("unknown routes are problem+json 404s", async () => {
    expectProblem(await api("GET", "/v1/nothing-here", { ip }), 404, "not_found");
    expectProblem(await api("DELETE", "/v1/events", { ip }), 404, "not_found");
  });

  it("per-IP writes: 2,000 / 10 s, then 429 rate_limited with Retry-After; reads and other clients pass", async () => {
    const { statuses, over, read, other } = await inOneWindow(async () => {
      const flood = freshIp(); // a fresh client per attempt: a straddling attempt counts nothing here
      const statuses: number[] = [];
      for (let i = 0; i < 2000; i += 250) {
        const batch = await Promise.all(Array.from({ length: 250 }, () => api("POST", "/v1/events", { raw: "{}", ip: flood })));
        statuses.push(...batch.map((r) => r.status));
      }
      const over = await api("POST", "/v1/events", { raw: "{}", ip: flood });
      const read = await api("GET", "/v1/health", { ip: flood });
      const other = await api("POST", "/v1/events", { raw: "{}", ip: freshIp() });
      return { statuses, over, read, other };
    });
    expect(statuses.filter((s) => s !== 400)).toEqual([]);
    expectProblem(over, 429, "rate_limited");
    expect(over.headers.get("retry-after")).toBe("10");
    expect(read.status).toBe(200);
    expectProblem(other, 400, "validation_failed");
  });

  it("per-IP reads: 20,000 / 10 s, then 429 rate_limited", async () => {
    const { statuses, over } = await inOneWindow(async () => {
      const flood = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < 20_000; i += 1000) {
        const batch = await Promise.all(Array.from({ length: 1000 }, () => api("GET", "/v1/health", { ip: flood })));
        statuses.push(...batch.map((r) => r.status));
      }
      return { statuses, over: await api("GET", `/v1/events/${"0".repeat(64)}`, { ip: flood }) };
    });
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expectProblem(over, 429, "rate_limited");
  });
});
