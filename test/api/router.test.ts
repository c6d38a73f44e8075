// The app's routes must all fit Hono's RegExpRouter: SmartRouter tries it first and falls back
// to the TrieRouter for the whole app when any one route does not fit (a static segment beside
// a parameter, such as "/blocks/latest" next to "/blocks/:height"), which costs every request
// tens of microseconds of matching.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { app } from "../../src/workers/app";
import { api } from "../helpers/client";

describe("routing", () => {
  it("runs on Hono's RegExpRouter", async () => {
    expect((await app.request("/v1/health", undefined, env)).status).toBe(200);
    expect((app.router as { name: string }).name).toBe("SmartRouter + RegExpRouter");
  });

  it("still serves the named routes beside the parameter routes", async () => {
    const latest = await api("GET", "/v1/blocks/latest");
    expect(latest.status).toBe(200);
    expect(typeof latest.body.height).toBe("number");
    const byHeight = await api("GET", `/v1/blocks/${latest.body.height}`);
    expect(byHeight.status).toBe(200);
    expect(byHeight.body.height).toBe(latest.body.height);
    const bad = await api("GET", "/v1/blocks/lately");
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("validation_failed");

    const current = await api("GET", "/v1/poe/epochs/current");
    expect(current.status).toBe(200);
    const byNumber = await api("GET", `/v1/poe/epochs/${current.body.epoch}`);
    expect(byNumber.status).toBe(200);
    expect(byNumber.body.epoch).toBe(current.body.epoch);
    const badEpoch = await api("GET", "/v1/poe/epochs/currently");
    expect(badEpoch.status).toBe(400);
    expect(badEpoch.body.code).toBe("validation_failed");
  });
});
