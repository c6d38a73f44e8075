// fast-check over every route (issue 9): random path parameters, query strings, headers and
// bodies — never a 5xx (except 503/507 with a known code and Retry-After where the design
// says so), always problem+json with a known `code` for errors, never a stack trace.
// FUZZ_RUNS cases per route (1,000 in CI), in-process through the Worker's fetch handler.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import worker from "../../src/workers/index";
import { app } from "../../src/workers/app";
import { ERROR_TITLES } from "../../src/lib/errors";
import { requestAuthHeader } from "../../src/lib/request-auth";
import { AdminMint, AdminPoeBulk, AdminPoeClose, AdminReputation, AdminStorageAudit, FaultSettings } from "../../src/schemas/api";
import { freshIp, newIdentity, post, submit, waitForStatus, type Identity } from "../helpers/client";
import { ADMIN, mint, waitFinal } from "../helpers/ledger";
import { auction, campaignBody, createCampaign } from "../helpers/ads";
import { putChunk, randomBytes } from "../helpers/storage";
import { fillPath, paramNames, ROUTES, sampleFor as sampleOf, type RouteSpec, type Samples } from "../helpers/routes";

const RUNS = Number((env as unknown as Record<string, string>).FUZZ_RUNS || "1000");
/** Every code an ApiError can carry, except internal_error (a 500 is a bug). */
const KNOWN_CODES = new Set(Object.keys(ERROR_TITLES).filter((c) => c !== "internal_error"));
const RETRYABLE_5XX = new Map([
  [503, new Set(["overloaded", "unavailable", "chunk_unavailable"])],
  [507, new Set(["insufficient_storage"])],
]);

let samples: Samples;
let signer: Identity;
const timings: Record<string, { runs: number; ms: number; statuses: Record<number, number> }> = {};

beforeAll(async () => {
  signer = await newIdentity();
  const ev = await post(signer, "fuzz sample post");
  const id = (await submit(ev, freshIp())).body.id as string;
  await waitForStatus(id, ["applied"], 30_000);
  const chunk = await putChunk(signer, randomBytes(5000), { ip: freshIp() });
  // A campaign and a real auction token, so the ads routes are reached past their 404s and
  // token mutations start from a valid token.
  const advertiser = await newIdentity();
  await waitFinal(await mint(advertiser.did, "1000000"));
  const campaign = await createCampaign(advertiser, campaignBody("fuzz", { budget: "1000000" }));
  const won = await auction(signer, { placement: "fuzz", publisher: signer.did, context: { keywords: ["fuzz"] } });
  const epoch = String((await send("GET", "/v1/poe/epochs/current", { "cf-connecting-ip": freshIp() }).then((r) => JSON.parse(r.text))).epoch);
  samples = { eventId: id, contentId: id, did: signer.did, cid: chunk.body.cid, height: "0", instance: id, node: "node-0", campaign, token: won.body.token, epoch };
});

async function send(method: string, path: string, headers: Record<string, string>, body?: Uint8Array) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://echonet.test${path}`, { method, headers, body }), env, ctx);
  await waitOnExecutionContext(ctx);
  const text = method === "HEAD" ? "" : await res.text();
  return { status: res.status, headers: res.headers, text };
}

function assertSane(route: RouteSpec, r: { status: number; headers: Headers; text: string }, what: string) {
  const ctx = `${route.method} ${route.path} ← ${what}: ${r.status} ${r.text.slice(0, 300)}`;
  if (r.status >= 500) {
    const allowed = RETRYABLE_5XX.get(r.status);
    const code = r.text ? JSON.parse(r.text).code : undefined;
    expect(allowed?.has(code) && r.headers.has("retry-after"), ctx).toBe(true);
  }
  if (r.status >= 400) {
    expect(r.headers.get("content-type"), ctx).toMatch(/^application\/problem\+json/);
    if (route.method === "HEAD") return;
    const body = JSON.parse(r.text);
    expect(KNOWN_CODES.has(body.code), ctx).toBe(true);
    expect(body.status, ctx).toBe(r.status);
    expect(typeof body.title === "string" && typeof body.detail === "string" && typeof body.type === "string", ctx).toBe(true);
  }
  expect(/\bat .*\.(ts|js):\d+/.test(r.text), `stack trace in ${ctx}`).toBe(false);
}

// ---- arbitraries: cheap, biased towards the edges of each input ----

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const anyText = fc.oneof(printable, fc.string({ unit: "binary", maxLength: 40 }), fc.constantFrom("", "0", "-1", "1e400", "9".repeat(30), "%00", "..", "a".repeat(600)));

const paramArb = (valid: string) =>
  fc.oneof(
    fc.constant(valid),
    fc.constant(valid.toUpperCase()),
    fc.constant(valid.slice(0, -1)),
    fc.constant(valid + "0"),
    anyText.map((s) => encodeURIComponent(s)),
    fc.stringMatching(/^[0-9a-f]{0,70}$/),
    fc.constantFrom("did:key:z6Mk", "bafkrei", "node-99999", "node-0", "latest", "%2e%2e%2f", "00", "18446744073709551616"),
  );

const queryArb = (keys: string[], s: () => Samples) =>
  fc.oneof(
    fc.constant(""),
    // Values include a real DID, so queries keyed by one (?advertiser=) get past validation.
    fc.dictionary(fc.oneof(fc.constantFrom(...keys, "x", "at", "limit"), printable), fc.oneof(anyText, fc.integer({ min: -5, max: 2000 }).map(String), fc.constant(0).map(() => s().did)), { maxKeys: 4 }).map((d) => {
      const q = new URLSearchParams(d).toString();
      return q ? `?${q}` : "";
    }),
    anyText.map((s) => `?${s.replace(/#/g, "")}`),
    // One known key with a real DID: the route's success path (e.g. ?advertiser=<did>).
    ...(keys.length > 0 ? [fc.constantFrom(...keys).map((k) => `?${k}=${encodeURIComponent(s().did)}`)] : []),
  );

const headerArb = (s: () => Samples, admin: boolean) =>
  fc.record(
    {
      authorization: fc.oneof(
        // Admin routes mostly get the real token, so their bodies reach validation.
        { arbitrary: fc.constant(ADMIN.authorization), weight: admin ? 12 : 1 },
        fc.constant("Bearer wrong"),
        printable,
        printable.map((x) => `EchoNet did="${s().did}", ts="${new Date().toISOString()}", sig="${x.replace(/"/g, "")}"`),
        fc.constant(`EchoNet did="did:key:z6Mkx", ts="2020-01-01T00:00:00.000Z", sig="AA"`),
      ),
      "content-type": fc.constantFrom("application/json", "text/plain", "application/octet-stream", "multipart/form-data; boundary=x", ""),
      range: fc.oneof(printable, fc.constantFrom("bytes=0-0", "bytes=-1", "bytes=5-2", "bytes=999999-", "bytes=0-1,3-4", "bytes=-0")),
      "if-none-match": fc.oneof(printable, fc.constant("*"), fc.constant('W/"x"')),
      "idempotency-key": printable,
    },
    { requiredKeys: [] },
  );

const bodyArb = (route: RouteSpec, s: () => Samples) =>
  fc.oneof(
    fc.constant(undefined as Uint8Array | undefined),
    fc.uint8Array({ maxLength: 300 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => new TextEncoder().encode(JSON.stringify(v))),
    ...(route.body?.valid
      ? [
          fc.tuple(fc.constantFrom("drop", "add", "replace", "tweak", "keep"), printable, fc.jsonValue({ maxDepth: 2 }), fc.nat()).map(([op, key, value, at]) => {
            const v = structuredClone(route.body!.valid!(s())) as Record<string, unknown>;
            const keys = Object.keys(v);
            const k = keys[key.length % Math.max(1, keys.length)];
            if (op === "keep") return new TextEncoder().encode(JSON.stringify(v));
            if (op === "drop" && keys.length) delete v[keys[0]!];
            else if (op === "replace" && k !== undefined) v[k] = value;
            else if (op === "tweak" && k !== undefined && typeof v[k] === "string") {
              // One character changed, or the string cut short: a near-valid token, DID or id.
              const str = v[k] as string;
              const i = at % Math.max(1, str.length);
              v[k] = at % 3 === 0 ? str.slice(0, i) : str.slice(0, i) + (key[0] ?? "A") + str.slice(i + 1);
            } else v[key || "extra"] = value;
            return new TextEncoder().encode(JSON.stringify(v));
          }),
        ]
      : []),
  );

/** Would this body, with the admin token, change global state? (skipped for skipValidBody routes) */
function wouldApply(route: RouteSpec, body: Uint8Array | undefined): boolean {
  if (!route.skipValidBody) return false;
  // An empty body means "audit everything due" / "close the current epoch".
  if (!body || body.length === 0) return route.path === "/v1/admin/storage/audit" || route.path === "/v1/admin/poe/close";
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return false;
  }
  const schema = { "/v1/admin/faults": FaultSettings, "/v1/admin/storage/audit": AdminStorageAudit, "/v1/admin/mint": AdminMint, "/v1/admin/reputation": AdminReputation, "/v1/admin/poe/close": AdminPoeClose, "/v1/admin/poe/bulk": AdminPoeBulk }[route.path];
  return schema ? schema.safeParse(v).success : false;
}

describe("every route under fuzzing", () => {
  it("the table covers every registered route", () => {
    const registered = new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`));
    const table = new Set(ROUTES.filter((r) => r.method !== "HEAD").map((r) => `${r.method} ${r.servedBy ?? r.path}`));
    expect([...registered].filter((r) => !table.has(r)), "routes missing from test/helpers/routes.ts").toEqual([]);
    expect([...table].filter((r) => !registered.has(r)), "table rows without a route").toEqual([]);
  });

  for (const route of ROUTES) {
    it(`${route.method} ${route.path}: ${RUNS} cases`, async () => {
      const t0 = Date.now();
      const statuses: Record<number, number> = {};
      const params = paramNames(route.path);
      const sampleFor = (p: string) => sampleOf(route.path, p, samples);
      const withBody = route.method === "POST" || route.method === "PUT";
      let ran = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.tuple(...params.map((p) => paramArb(sampleFor(p)))),
          queryArb(route.query ?? [], () => samples),
          headerArb(() => samples, route.auth === "admin"),
          withBody ? bodyArb(route, () => samples) : fc.constant(undefined),
          fc.nat(7),
          async (values, query, headers, generated, sign) => {
            // A body that the admin token would make take effect is made invalid instead (an
            // unknown key: strict schemas refuse it), so fuzzing never changes global state.
            const body = wouldApply(route, generated) ? new TextEncoder().encode(JSON.stringify({ fuzz: 1 })) : generated;
            const signIt = sign === 0;
            const path = fillPath(route.path, Object.fromEntries(params.map((p, i) => [p, values[i]!]))) + query;
            const h: Record<string, string> = { ...headers, "cf-connecting-ip": freshIp() };
            if (route.auth === "request" && signIt && body && body.length > 0) h.authorization = await requestAuthHeader(signer.did, signer.privateKey, route.method, path, body);
            let r;
            try {
              r = await send(route.method, path, h, body);
            } catch (err) {
              // The Request constructor refuses some inputs client-side (an unparsable URL);
              // such a request can never reach the Worker.
              if (err instanceof TypeError) return;
              throw err;
            }
            ran++;
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
            assertSane(route, r, `${path} ${JSON.stringify(h).slice(0, 200)} body ${body?.length ?? "none"}`);
          },
        ),
        { numRuns: RUNS },
      );
      timings[`${route.method} ${route.path}`] = { runs: ran, ms: Date.now() - t0, statuses };
      expect(ran).toBeGreaterThan(RUNS * 0.9);
    });
  }

  it("unknown paths and methods: 404/405 problem+json", async () => {
    const route: RouteSpec = { method: "GET", path: "/v1/unknown", auth: "public" };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"), fc.array(anyText.map(encodeURIComponent), { maxLength: 4 }), async (method, segs) => {
        const path = `/v1/${segs.join("/")}zz`;
        let r;
        try {
          r = await send(method, path, { "cf-connecting-ip": freshIp() });
        } catch (err) {
          if (err instanceof TypeError) return;
          throw err;
        }
        assertSane(route, r, `${method} ${path}`);
      }),
      { numRuns: Math.min(RUNS, 500) },
    );
    const total = Object.values(timings).reduce((n, t) => n + t.runs, 0);
    const ms = Object.values(timings).reduce((n, t) => n + t.ms, 0);
    console.log(
      `fuzz: ${total} cases over ${Object.keys(timings).length} routes in ${ms} ms\n` +
        Object.entries(timings)
          .map(([k, t]) => `  ${k.padEnd(42)} ${String(t.runs).padStart(5)} cases ${String(t.ms).padStart(6)} ms  ${JSON.stringify(t.statuses)}`)
          .join("\n"),
    );
  });
});
