// An injectable fetch for the SDK that calls the Worker's own fetch handler (real bindings,
// real DOs), like test/helpers/client.ts api() does.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/workers/index";
import { EchoNetClient, type ClientOptions, type FetchLike } from "../../src/client";
import { freshIp } from "../helpers/client";

export const workerFetch: FetchLike = async (input, init) => {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(input, init), env, ctx);
  // Buffer the body before the context ends, so the response outlives it.
  const body = res.status === 204 || res.status === 304 ? null : await res.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return new Response(body, { status: res.status, headers: res.headers });
};

export const TEST_ADMIN_TOKEN = "test-admin-token";

export const testClient = (opts: ClientOptions = {}) =>
  new EchoNetClient({ url: "http://echonet.test", fetch: workerFetch, headers: { "cf-connecting-ip": freshIp() }, ...opts });
