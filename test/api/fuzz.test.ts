// fast-check fuzz of POST /v1/events: random and mutated bodies never yield a 5xx, and every
// error is a well-formed problem+json.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { api, freshIp, newIdentity, post, type Identity } from "../helpers/client";

function assertSane(r: { status: number; headers: Headers; body: any }) {
  expect(r.status).toBeLessThan(500);
  if (r.status >= 400) {
    expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(typeof r.body.code).toBe("string");
    expect(r.body.status).toBe(r.status);
    expect(JSON.stringify(r.body)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack traces
  }
}

const weird = fc.oneof(
  fc.jsonValue(),
  fc.string({ unit: "binary" }),
  fc.constantFrom(null, true, 0, -1, 1e308, "", "did:key:z6Mk", "\ud800", "2026-11-27T01:02:03.456Z", "a".repeat(100)),
  fc.array(fc.jsonValue(), { maxLength: 5 }),
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 5 }),
);

describe("POST /v1/events fuzz", () => {
  it("random bodies: bytes, text and JSON values", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }).map((b) => b as BodyInit),
          fc.string({ unit: "binary", maxLength: 512 }).map((s) => s as BodyInit),
          fc.jsonValue().map((v) => JSON.stringify(v) as BodyInit),
        ),
        async (raw) => assertSane(await api("POST", "/v1/events", { raw, ip: freshIp() })),
      ),
      { numRuns: 250 },
    );
  });

  it("mutated valid events: replaced, removed and added fields at any depth", async () => {
    const authors: Identity[] = await Promise.all(Array.from({ length: 4 }, () => newIdentity()));
    const base = await post(authors[0]!, "fuzz base");
    const paths = ["v", "kind", "author", "nonce", "createdAt", "body", "sig", "body.text", "body.title", "body.tags", "body.chunks", "body.lang"];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.constantFrom("replace", "remove", "add"),
        weird,
        fc.string({ maxLength: 12 }),
        async (path, op, value, extraKey) => {
          const ev: any = structuredClone(base);
          const parts = path.split(".");
          const parent = parts.length === 2 ? (typeof ev.body === "object" && ev.body ? ev.body : ev) : ev;
          const key = parts[parts.length - 1]!;
          if (op === "replace") parent[key] = value;
          else if (op === "remove") delete parent[key];
          else parent[extraKey || "x"] = value;
          assertSane(await api("POST", "/v1/events", { body: ev, ip: freshIp() }));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("hostile JSON text: deep nesting, huge numbers, lone surrogates, duplicate keys", async () => {
    const me = await newIdentity();
    const good = await post(me);
    const text = JSON.stringify(good);
    const cases = [
      "[".repeat(5000) + "]".repeat(5000),
      text.replace('"hello echonet"', '"\\ud800"'),
      text.replace('"body":{', '"body":{"x":1e400,'),
      text.replace('"v":1', '"v":1,"v":1'),
      text.replace('"v":1', '"v":1.0000000000000001'),
      text.slice(0, -1),
      "\ufeff" + text,
      text + "garbage",
    ];
    for (const raw of cases) assertSane(await api("POST", "/v1/events", { raw, ip: freshIp() }));
    // Contract args may hold any JSON; a value RFC 8785 cannot canonicalize is a 400.
    const call = JSON.stringify({ ...good, kind: "contract.call", body: { contract: "escrow", version: 1, method: "m", args: {} } }).replace('"args":{}', '"args":{"n":1e400}');
    const r = await api("POST", "/v1/events", { raw: call, ip: freshIp() });
    assertSane(r);
    expect(r.status).toBe(400);
  });
});
