// DHT RPC limits and input validation (issue 6): a flood from one peer is limited (429 with
// Retry-After) without starving others; malformed RPC bodies and paths are 400 problem+json;
// no RPC body, however malformed, yields a 5xx.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api, expectProblem, freshIp } from "../helpers/client";
import { dhtNodes, randomId, rpc } from "../helpers/dht";

describe("DHT RPC limits", () => {
  it("a flood from one peer gets 429 rate_limited with Retry-After while another peer is served", async () => {
    const node = (await dhtNodes())[5]!.id;
    const flooder = freshIp();
    const polite = freshIp();
    const body = { op: "FIND_NODE", from: { id: randomId() }, target: randomId() };
    const flood = Promise.all(Array.from({ length: 120 }, () => rpc(node, body, flooder)));
    const others = Promise.all(Array.from({ length: 10 }, () => rpc(node, body, polite)));
    const [f, o] = await Promise.all([flood, others]);
    const limited = f.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(f.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    for (const r of limited) {
      expectProblem(r, 429, "rate_limited");
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
    expect(o.every((r) => r.status === 200)).toBe(true);
    expect(f.every((r) => r.status === 200 || r.status === 429)).toBe(true);
  });
});

describe("DHT input validation", () => {
  const ip = freshIp();
  it("malformed RPC bodies and paths are 400 problem+json; unknown nodes 404", async () => {
    const node = (await dhtNodes(ip))[1]!.id;
    const from = { id: randomId() };
    const bad: unknown[] = [
      {},
      { op: "PING" },
      { op: "NOPE", from },
      { op: "FIND_NODE", from },
      { op: "FIND_NODE", from, target: "ABC" },
      { op: "FIND_VALUE", from, key: "" },
      { op: "STORE", from },
      { op: "STORE", from, record: { key: "k" } },
      { op: "PING", from: { id: randomId(), addr: "ftp://x" } },
      { op: "PING", from: { id: randomId(), addr: "/relative" } },
      { op: "PING", from, extra: 1 },
      [],
      "PING",
    ];
    for (const body of bad) expectProblem(await rpc(node, body, ip), 400, "validation_failed");
    expectProblem(await api("POST", `/v1/dht/nodes/${node}/rpc`, { raw: "{not json", ip }), 400, "validation_failed");
    expectProblem(await api("POST", `/v1/dht/nodes/xyz/rpc`, { body: { op: "PING", from }, ip }), 400, "validation_failed");
    expectProblem(await api("POST", `/v1/dht/nodes/${randomId()}/rpc`, { body: { op: "PING", from }, ip }), 404, "not_found");
    expectProblem(await api("GET", `/v1/dht/lookup/nothex`, { ip }), 400, "validation_failed");
    expectProblem(await api("GET", `/v1/dht/lookup/${randomId()}?via=zz`, { ip }), 400, "validation_failed");
    expectProblem(await api("GET", `/v1/dht/lookup/${randomId()}?via=${randomId()}`, { ip }), 404, "not_found");
    expectProblem(await api("GET", `/v1/dht/providers/${"x".repeat(300)}`, { ip }), 400, "validation_failed");
    const ok = await rpc(node, { op: "PING", from }, ip);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ id: node });
  });

  it("fast-check: no RPC body yields a 5xx", async () => {
    const node = (await dhtNodes(ip))[2]!.id;
    const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
    const contact = fc.record({ id: fc.oneof(hex, fc.string()), addr: fc.option(fc.oneof(fc.webUrl(), fc.string()), { nil: undefined }) }, { requiredKeys: ["id"] });
    const body = fc.oneof(
      fc.anything(),
      fc.record(
        {
          op: fc.constantFrom("PING", "FIND_NODE", "FIND_VALUE", "STORE", "X"),
          from: contact,
          target: fc.oneof(hex, fc.string()),
          key: fc.string({ maxLength: 300 }),
          record: fc.record({ key: fc.string(), provider: fc.string(), expiresAt: fc.oneof(fc.date().map((d) => (isNaN(d.getTime()) ? "x" : d.toISOString())), fc.string()), sig: fc.string(), addr: fc.webUrl() }, { requiredKeys: [] }),
        },
        { requiredKeys: ["op"] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const r = await api("POST", `/v1/dht/nodes/${node}/rpc`, { raw: JSON.stringify(b) ?? "null", ip, headers: { "content-type": "application/json" } });
        expect(r.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });
});
