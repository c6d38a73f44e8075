// Values an isolate reads once and keeps (src/lib/isolate-cache.ts). A request that is
// cancelled while it is the first to read one must not leave later requests waiting on its
// cancelled read: before the cache held resolved values only, a /v1/witnesses cancelled a few
// ms in made every later /v1/witnesses (and the witness-inbox consumer) hang.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { forgetIsolateCaches } from "../../src/lib/isolate-cache";

const base = "http://echonet.test";
const answerWithin = (path: string, ms: number) =>
  Promise.race([
    SELF.fetch(`${base}${path}`, { headers: { "cf-connecting-ip": "198.51.100.77" } }).then(async (r) => ({ status: r.status, body: (await r.json()) as any })),
    new Promise<"no answer">((r) => setTimeout(() => r("no answer"), ms)),
  ]);

describe("isolate caches", () => {
  // What must not change between answers: the witnesses' keys; the DHT nodes' ids (their
  // routing tables fill in the background).
  const cases: [string, (body: any) => unknown][] = [
    ["/v1/witnesses", (b) => b],
    ["/v1/dht/nodes", (b) => b.nodes.map((n: { id: string }) => n.id)],
  ];
  for (const [path, stable] of cases) {
    it(`a first ${path} cancelled mid-read leaves the next one answering`, async () => {
      const reference = await answerWithin(path, 10_000);
      if (reference === "no answer") throw new Error(`${path} did not answer`);
      expect(reference.status).toBe(200);
      // Cancel the first reader at several points of its read, from a cold cache each time.
      for (const delayMs of [0, 1, 2, 3, 5, 8, 10, 15]) {
        forgetIsolateCaches();
        const ac = new AbortController();
        const first = SELF.fetch(`${base}${path}`, { signal: ac.signal, headers: { "cf-connecting-ip": "198.51.100.77" } }).then(
          (r) => r.body?.cancel(),
          () => undefined,
        );
        setTimeout(() => ac.abort(), delayMs);
        await first;
        const next = await answerWithin(path, 3_000);
        if (next === "no answer") throw new Error(`no answer after a first ${path} was cancelled at ${delayMs} ms`);
        expect(next.status).toBe(200);
        expect(stable(next.body)).toEqual(stable(reference.body));
      }
    });
  }
});
