// Security (issue 9; docs/THREAT_MODEL.md maps each threat to a test here): every write is
// authenticated or public by design, every /v1 route is rate-limited per IP, replays and stale
// timestamps are refused, every body has a bound, outbound calls only go to validated
// addresses, and no key material or secret appears in responses or logs.
import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/workers/index";
import { app } from "../../src/workers/app";
import { toBase64, toBase64Url, toHex } from "../../src/lib/encoding";
import { api, expectProblem, freshIp, inOneWindow, newIdentity, post, signedEvent, submit, until, waitForStatus } from "../helpers/client";
import { ADMIN, account, mint, waitFinal } from "../helpers/ledger";
import { authFor, putChunk, randomBytes } from "../helpers/storage";
import { fillPath, paramNames, ROUTES, sampleFor, type Samples } from "../helpers/routes";

const sources = import.meta.glob("/src/**/*.ts", { eager: true, query: "?raw", import: "default" }) as Record<string, string>;

async function fetchWith(envOverride: object, method: string, path: string, headers: Record<string, string> = {}, body?: BodyInit) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://echonet.test${path}`, { method, headers: { "cf-connecting-ip": freshIp(), ...headers }, body }), { ...(env as object), ...envOverride } as typeof env, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: await res.json<any>().catch(() => null) };
}

const fill = (path: string, s: Samples) => fillPath(path, Object.fromEntries(paramNames(path).map((p) => [p, sampleFor(path, p, s)])));

describe("authentication of writes", () => {
  it("every write route is authenticated (admin token, request auth, signed event) or public by design", async () => {
    const me = await newIdentity();
    const s: Samples = { eventId: "0".repeat(64), contentId: "0".repeat(64), did: me.did, cid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", height: "0", instance: "0".repeat(64), node: "node-0" };
    const writes = ROUTES.filter((r) => r.method === "POST" || r.method === "PUT");
    // Public by design (DESIGN §3): storage challenges and DHT RPCs (the records they carry are
    // signed by their provider and verified on STORE); ad interaction events carry a token the
    // deployment signed. Nothing else writes without credentials.
    expect(writes.filter((r) => r.auth === "public").map((r) => r.path)).toEqual(["/v1/storage/nodes/:id/challenge", "/v1/dht/nodes/:id/rpc"]);
    expect(writes.filter((r) => r.auth === "token").map((r) => r.path)).toEqual(["/v1/ads/events"]);
    for (const r of writes) {
      const path = fill(r.path, s);
      const ip = freshIp();
      if (r.auth === "admin") {
        expectProblem(await api(r.method, path, { body: r.body?.valid?.(s) ?? {}, ip }), 401, "unauthorized");
        expectProblem(await api(r.method, path, { body: r.body?.valid?.(s) ?? {}, ip, headers: { authorization: "Bearer dev-admin-token" } }), 401, "unauthorized");
      } else if (r.auth === "request") {
        expectProblem(await api(r.method, path, { raw: new Uint8Array([1, 2, 3]), ip }), 401, "unauthorized");
        // A valid body signed by someone else (not the publisher it names) is refused too.
        if (r.body?.valid) {
          const other = await newIdentity();
          const raw = new TextEncoder().encode(JSON.stringify(r.body.valid(s)));
          expectProblem(await api(r.method, path, { raw, ip, headers: { authorization: await authFor(other, r.method, path, raw) } }), 401, "unauthorized");
        }
      } else if (r.auth === "token") {
        expectProblem(await api(r.method, path, { body: { token: "v1.e30.AAAA", type: "impression" }, ip }), 400, "invalid_token");
      } else if (r.auth === "event") {
        const ev = await post(me, "unsigned");
        expectProblem(await api(r.method, path, { body: { ...ev, sig: ev.sig.slice(0, -4) + "AAAA" }, ip }), 401, "invalid_signature");
      }
    }
  });

  it("admin calls are refused when no ADMIN_TOKEN is configured, whatever the bearer", async () => {
    for (const token of ["", "test-admin-token", "undefined"]) {
      const r = await fetchWith({ ADMIN_TOKEN: "" }, "POST", "/v1/admin/mint", { authorization: `Bearer ${token}`, "content-type": "application/json" }, "{}");
      expect([r.status, r.body.code]).toEqual([401, "unauthorized"]);
    }
  });

  it("the PoE bulk load is a 404 unless POE_BULK_LOAD=1 or ECHONET_FAULTS=1, even for the admin", async () => {
    const body = JSON.stringify({ source: "x", engagements: [{ id: "1", kind: "like", engager: "did:key:z6Mkx", target: "ab".repeat(32), creator: "did:key:z6Mkx" }] });
    const off = await fetchWith({ ECHONET_FAULTS: "0", POE_BULK_LOAD: "0" }, "POST", "/v1/admin/poe/bulk", { ...ADMIN, "content-type": "application/json" }, body);
    expect([off.status, off.body.code]).toEqual([404, "not_found"]);
    // Enabled, it still needs the admin token.
    const noToken = await fetchWith({ ECHONET_FAULTS: "0", POE_BULK_LOAD: "1" }, "POST", "/v1/admin/poe/bulk", { "content-type": "application/json" }, body);
    expect([noToken.status, noToken.body.code]).toEqual([401, "unauthorized"]);
  });

  it("fault injection is a 404 when ECHONET_FAULTS is off, even for the admin", async () => {
    for (const method of ["GET", "POST"]) {
      const r = await fetchWith({ ECHONET_FAULTS: "0" }, method, "/v1/admin/faults", { ...ADMIN, "content-type": "application/json" }, method === "POST" ? '{"resetDurableObject":{"class":"Sequencer"}}' : undefined);
      expect([r.status, r.body.code]).toEqual([404, "not_found"]);
    }
  });
});

describe("rate limits", () => {
  it("every route under /v1 passes the per-IP limiter; the rest are static pages", () => {
    const first = app.routes[0]!;
    expect([first.method, first.path]).toEqual(["ALL", "/v1/*"]);
    const outside = app.routes.filter((r) => r.method !== "ALL" && !r.path.startsWith("/v1/")).map((r) => r.path);
    expect(outside.sort()).toEqual(["/", "/docs", "/openapi.json"]);
  });

  it("writes: after 2,000 writes in a window every write route answers 429 with Retry-After; reads still pass", async () => {
    const me = await newIdentity();
    const s: Samples = { eventId: "0".repeat(64), contentId: "0".repeat(64), did: me.did, cid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", height: "0", instance: "0".repeat(64), node: "node-0" };
    const { over, read } = await inOneWindow(async () => {
      const ip = freshIp();
      for (let i = 0; i < 2000; i += 100) {
        await Promise.all(Array.from({ length: 100 }, () => api("POST", "/v1/storage/nodes/node-0/challenge", { body: {}, ip })));
      }
      const over = [];
      for (const r of ROUTES.filter((x) => x.method === "POST" || x.method === "PUT")) over.push(await api(r.method, fill(r.path, s), { body: {}, ip, headers: ADMIN }));
      return { over, read: await api("GET", "/v1/health", { ip }) };
    });
    for (const res of over) {
      expectProblem(res, 429, "rate_limited");
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect(over.length).toBe(ROUTES.filter((x) => x.method === "POST" || x.method === "PUT").length);
    expect(read.status).toBe(200);
  });

  it("reads: after 20,000 reads in a window GETs answer 429 with Retry-After", async () => {
    const r = await inOneWindow(async () => {
      const ip = freshIp();
      for (let i = 0; i < 20_000; i += 500) await Promise.all(Array.from({ length: 500 }, () => api("GET", "/v1/health", { ip })));
      return api("GET", "/v1/witnesses", { ip });
    });
    expectProblem(r, 429, "rate_limited");
    expect(r.headers.get("retry-after")).toBe("10");
  });
});

describe("replays and stale timestamps", () => {
  it("a replayed event is a no-op: 200 with its status, one effect", async () => {
    const alice = await newIdentity();
    const bob = await newIdentity();
    await waitFinal(await mint(alice.did, "100"));
    const ev = await signedEvent(alice, "ledger.transfer", { to: bob.did, amount: "60" });
    const first = await submit(ev, freshIp());
    expect(first.status).toBe(202);
    const replays = await Promise.all(Array.from({ length: 5 }, () => submit(ev, freshIp())));
    expect(replays.every((r) => r.status === 200 && r.body.id === first.body.id)).toBe(true);
    await waitFinal(first.body.id);
    expect((await submit(ev, freshIp())).body.status).toBe("applied");
    expect((await account(bob.did)).balance).toBe("60");
    expect((await account(alice.did)).balance).toBe("40");
  });

  it("events outside the clock skew are refused (past and future): 422 stale_event", async () => {
    const me = await newIdentity();
    for (const createdAt of [new Date(Date.now() - 301_000).toISOString(), new Date(Date.now() + 301_000).toISOString()]) {
      expectProblem(await submit(await signedEvent(me, "content.post", { text: "x" }, { createdAt }), freshIp()), 422, "stale_event");
    }
  });

  it("request auth: stale or future ts, another path, method or body are refused; an exact replay stores nothing twice", async () => {
    const me = await newIdentity();
    const bytes = randomBytes(3000);
    const ip = freshIp();
    for (const ts of [new Date(Date.now() - 301_000).toISOString(), new Date(Date.now() + 301_000).toISOString()]) {
      expectProblem(await api("PUT", "/v1/chunks", { raw: bytes, ip, headers: { authorization: await authFor(me, "PUT", "/v1/chunks", bytes, ts) } }), 401, "unauthorized");
    }
    expectProblem(await api("PUT", "/v1/chunks", { raw: bytes, ip, headers: { authorization: await authFor(me, "PUT", "/v1/chunks?x=1", bytes) } }), 401, "unauthorized");
    expectProblem(await api("PUT", "/v1/chunks", { raw: bytes, ip, headers: { authorization: await authFor(me, "POST", "/v1/chunks", bytes) } }), 401, "unauthorized");
    expectProblem(await api("PUT", "/v1/chunks", { raw: bytes, ip, headers: { authorization: await authFor(me, "PUT", "/v1/chunks", randomBytes(3000)) } }), 401, "unauthorized");
    const authorization = await authFor(me, "PUT", "/v1/chunks", bytes);
    const first = await api("PUT", "/v1/chunks", { raw: bytes, ip, headers: { authorization } });
    expect(first.status).toBe(201);
    const replay = await api("PUT", "/v1/chunks", { raw: bytes, ip, headers: { authorization } });
    expect([replay.status, replay.body.cid]).toEqual([200, first.body.cid]);
    expect((await api("GET", `/v1/storage/usage/${me.did}`, { ip })).body).toMatchObject({ usedBytes: 3000, chunks: 1 });
  });
});

describe("size limits", () => {
  it("every route with a body refuses one byte over its bound: 413 payload_too_large (declared or streamed)", async () => {
    const me = await newIdentity();
    const s: Samples = { eventId: "0".repeat(64), contentId: "0".repeat(64), did: me.did, cid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", height: "0", instance: "0".repeat(64), node: "node-0" };
    const withBody = ROUTES.filter((r) => r.body);
    expect(withBody.length).toBe(ROUTES.filter((r) => r.method === "POST" || r.method === "PUT").length);
    for (const r of withBody) {
      const big = new Uint8Array(r.body!.maxBody + 1).fill(0x20);
      const headers: Record<string, string> = r.auth === "admin" ? { ...ADMIN } : r.auth === "request" ? { authorization: await authFor(me, r.method, fill(r.path, s), big) } : {};
      expectProblem(await api(r.method, fill(r.path, s), { raw: big, ip: freshIp(), headers }), 413, "payload_too_large");
      // Streamed without a length: the bound holds while reading, not only on the header.
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(big.subarray(0, 1000));
          c.enqueue(big.subarray(1000));
          c.close();
        },
      });
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(`http://echonet.test${fill(r.path, s)}`, { method: r.method, headers: { "cf-connecting-ip": freshIp(), ...headers }, body: stream, duplex: "half" } as RequestInit), env, ctx);
      await waitOnExecutionContext(ctx);
      expect([r.path, res.status]).toEqual([r.path, 413]);
    }
  });

  it("queries are bounded: a search query over 1,024 characters and cursors over 512 are 400", async () => {
    expectProblem(await api("GET", `/v1/search?q=${"a".repeat(1025)}`, { ip: freshIp() }), 400, "validation_failed");
    expectProblem(await api("GET", `/v1/search?q=a&cursor=${"a".repeat(513)}`, { ip: freshIp() }), 400, "validation_failed");
    const me = await newIdentity();
    expectProblem(await api("GET", `/v1/accounts/${me.did}/content?cursor=${"a".repeat(513)}`, { ip: freshIp() }), 400, "validation_failed");
  });
});

describe("outbound calls", () => {
  it("no server-side fetch or socket without the outbound address check (src/lib/outbound.ts)", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const [file, text] of Object.entries(sources)) {
      // pages.ts holds the explorer's browser script (same-origin relative fetches), not Worker code.
      if (file.endsWith("/src/workers/pages.ts") || file.endsWith("/src/lib/outbound.ts")) continue;
      const calls = /(^|[^.\w])fetch\(|\bconnect\(|cloudflare:sockets/.test(text);
      if (calls && !text.includes("checkOutboundUrl")) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});

describe("secrets", () => {
  async function keyMaterial(): Promise<string[]> {
    const out: string[] = [];
    const grab = async (ns: DurableObjectNamespace, name: string) => {
      const pkcs8 = await runInDurableObject(ns.getByName(name), (_i: unknown, state: DurableObjectState) => new Uint8Array(state.storage.sql.exec<{ pkcs8: ArrayBuffer }>("SELECT pkcs8 FROM identity").one().pkcs8));
      const seed = pkcs8.slice(-32);
      for (const b of [pkcs8, seed]) out.push(toHex(b), toBase64(b).replace(/=+$/, ""), toBase64Url(b));
    };
    await grab(env.SYSTEM_ISSUER as unknown as DurableObjectNamespace, "system");
    for (let i = 0; i < 7; i++) await grab(env.WITNESS_NODE as unknown as DurableObjectNamespace, `witness-${i}`);
    return out;
  }
  // Generic markers of private keys: PEM, the Ed25519 PKCS#8 prefix in hex and base64.
  const MARKERS = [/PRIVATE KEY/, /302e020100300506032b657004220420/i, /MC4CAQAwBQYDK2VwBCIEI/, /test-admin-token/, /"d"\s*:\s*"[A-Za-z0-9_-]{43}"/];

  it("no GET or HEAD response (body or headers) and no log line carries key material or the admin token", async () => {
    const me = await newIdentity();
    const id = (await submit(await post(me, "secret scan"), freshIp())).body.id as string;
    await waitForStatus(id, ["applied"], 30_000);
    await waitFinal(await mint(me.did, "5"));
    const chunk = await putChunk(me, randomBytes(2000), { ip: freshIp() });
    await api("POST", "/v1/admin/storage/audit", { body: { cids: [chunk.body.cid] }, headers: ADMIN, ip: freshIp() });
    const secrets = await keyMaterial();
    const s: Samples = { eventId: id, contentId: id, did: me.did, cid: chunk.body.cid, height: "1", instance: id, node: "node-0" };

    const logs: string[] = [];
    const original = { log: console.log, warn: console.warn, error: console.error, info: console.info, debug: console.debug };
    for (const k of Object.keys(original) as (keyof typeof original)[]) console[k] = (...args: unknown[]) => void logs.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    const texts: string[] = [];
    try {
      const gets = ROUTES.filter((r) => r.method === "GET" || r.method === "HEAD");
      for (const r of gets) {
        for (const headers of [{}, ADMIN]) {
          const ctx = createExecutionContext();
          const res = await worker.fetch(new Request(`http://echonet.test${fill(r.path, s)}`, { method: r.method, headers: { "cf-connecting-ip": freshIp(), ...headers } }), env, ctx);
          await waitOnExecutionContext(ctx);
          texts.push(`${r.method} ${r.path} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${r.method === "HEAD" ? "" : await res.text()}`);
        }
      }
      // Error paths and a reset log too: make some.
      await api("POST", "/v1/events", { raw: "{", ip: freshIp() });
      await api("POST", "/v1/admin/faults", { body: { resetDurableObject: { class: "SystemIssuer" } }, headers: ADMIN, ip: freshIp() });
      texts.push((await api("GET", "/v1/witnesses", { ip: freshIp() })).headers.get("content-type") ?? "");
      // A log line the Worker certainly writes (a malformed queue message), as a positive control.
      await env.WITNESS_INBOX.send({ malformed: true } as never);
      await until(async () => logs.some((l) => l.includes("malformed message dropped")), (x) => x, 20_000, "the consumer's log line");
    } finally {
      Object.assign(console, original);
    }
    const all = [...texts, ...logs].join("\n");
    expect(texts.length).toBe(ROUTES.filter((r) => r.method === "GET" || r.method === "HEAD").length * 2 + 1);
    // Positive controls: the scan sees real responses (public keys are published) and logs.
    expect(secrets.length).toBe(8 * 6);
    const witnesses = (await api("GET", "/v1/witnesses", { ip: freshIp() })).body.witnesses as { publicKey: string }[];
    expect(witnesses.every((w) => all.includes(w.publicKey))).toBe(true);
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(all.includes(secret), "key material in a response or log").toBe(false);
    for (const m of MARKERS) expect(m.test(all), `marker ${m} in a response or log`).toBe(false);
  });

  it("no log statement in the source interpolates keys, tokens or secrets", () => {
    const bad: string[] = [];
    for (const [file, text] of Object.entries(sources)) {
      for (const line of text.split("\n")) {
        if (/console\.(log|warn|error|info|debug)/.test(line) && /privateKey|pkcs8|ADMIN_TOKEN|secret|authorization/i.test(line)) bad.push(`${file}: ${line.trim()}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
