// Test clients: make identities, sign events, call the API, poll with a deadline (no sleeps).
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/workers/index";
import { generateEd25519, type Ed25519KeyPair } from "../../src/lib/crypto";
import { didKeyFromPublicKey } from "../../src/lib/did";
import { signEvent } from "../../src/lib/events";

export interface Identity extends Ed25519KeyPair {
  did: string;
}

export async function newIdentity(): Promise<Identity> {
  const kp = await generateEd25519();
  return { ...kp, did: didKeyFromPublicKey(kp.publicKey) };
}

let nonceCounter = 0;
export const nonce = () => `n${Date.now().toString(36)}${(nonceCounter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export async function signedEvent(
  who: Identity,
  kind: string,
  body: Record<string, unknown>,
  over: Partial<{ createdAt: string; nonce: string }> = {},
): Promise<Record<string, unknown> & { sig: string }> {
  const unsigned = { v: 1, kind, author: who.did, nonce: over.nonce ?? nonce(), createdAt: over.createdAt ?? new Date().toISOString(), body };
  return signEvent(unsigned, who.privateKey);
}

export const post = (who: Identity, text = "hello echonet") => signedEvent(who, "content.post", { text });

/** A random client IP per test keeps per-IP limits from coupling tests. */
export const freshIp = () => `10.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
const rnd = (n: number) => Math.floor(Math.random() * n);

/**
 * The Rate Limiting binding counts in fixed 10 s windows. Runs `fn` until one run starts and
 * ends inside the same window (at most `tries` runs), so a limit assertion never straddles a
 * window boundary.
 */
export async function inOneWindow<T>(fn: () => Promise<T>, tries = 4): Promise<T> {
  for (let i = 0; ; i++) {
    const window = Math.floor(Date.now() / 10_000);
    const result = await fn();
    if (Math.floor(Date.now() / 10_000) === window || i + 1 >= tries) return result;
  }
}

export async function api(
  method: string,
  path: string,
  opts: { body?: unknown; raw?: BodyInit; ip?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { "cf-connecting-ip": opts.ip ?? "192.0.2.1", ...opts.headers };
  let body: BodyInit | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  // The Worker's own fetch handler with a real Request, real bindings and real DOs. Not
  // SELF.fetch: under vitest-pool-workers each SELF.fetch gets slower as a workerd instance
  // serves more of them (workers-sdk#15446), which made rate-limit tests straddle windows.
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://echonet.test${path}`, { method, headers, body }), env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export const submit = (event: unknown, ip?: string) => api("POST", "/v1/events", { body: event, ip });

export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await fn();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}

export const waitForStatus = (id: string, statuses: string[], timeoutMs = 20_000) =>
  until(
    () => api("GET", `/v1/events/${id}`),
    (r) => r.status === 200 && statuses.includes(r.body.status),
    timeoutMs,
    `event ${id} to reach ${statuses.join("|")}`,
  );

export function expectProblem(r: { status: number; headers: Headers; body: any }, status: number, code: string): void {
  if (r.status !== status || r.body?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${r.status} ${JSON.stringify(r.body)}`);
  }
  if (!r.headers.get("content-type")?.startsWith("application/problem+json")) throw new Error("not problem+json");
  for (const k of ["type", "title", "status", "detail", "code"]) {
    if (!(k in r.body)) throw new Error(`problem body lacks ${k}`);
  }
  if (r.body.status !== status) throw new Error("problem status mismatch");
}
