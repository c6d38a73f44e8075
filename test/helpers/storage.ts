// Storage helpers for tests: signed chunk uploads (request auth) and random bytes.
import { requestAuthHeader } from "../../src/lib/request-auth";
import { api, type Identity } from "./client";

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** The Authorization header for a request (DESIGN §3); `over` forges parts of it for tests. */
export const authFor = (who: Identity, method: string, path: string, body: Uint8Array, ts?: string) =>
  requestAuthHeader(who.did, who.privateKey, method, path, body, ts);

export async function putChunk(who: Identity, bytes: Uint8Array, opts: { ip?: string; headers?: Record<string, string> } = {}) {
  const authorization = await authFor(who, "PUT", "/v1/chunks", bytes);
  return api("PUT", "/v1/chunks", { raw: bytes, ip: opts.ip, headers: { authorization, ...opts.headers } });
}

/** Raw GET keeping the body as bytes. */
export async function getChunkBytes(cid: string, headers: Record<string, string> = {}, method = "GET") {
  const { createExecutionContext, env, waitOnExecutionContext } = await import("cloudflare:test");
  const worker = (await import("../../src/workers/index")).default;
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://echonet.test/v1/chunks/${cid}`, { method, headers: { "cf-connecting-ip": "192.0.2.9", ...headers } }), env, ctx);
  const bytes = new Uint8Array(await res.arrayBuffer());
  await waitOnExecutionContext(ctx);
  return { status: res.status, headers: res.headers, bytes };
}
