import { describe, expect, it } from "vitest";
import { messageBytes, PackingBatcher, QueueBatcher } from "../../src/queues/batcher";

function fakeQueue() {
  const batches: unknown[][] = [];
  const q = { sendBatch: async (msgs: { body: unknown }[]) => void batches.push(msgs.map((m) => m.body)) } as unknown as Queue<unknown>;
  return { q, batches };
}

describe("QueueBatcher", () => {
  it("coalesces concurrent sends into one batch and resolves every sender", async () => {
    const { q, batches } = fakeQueue();
    const b = new QueueBatcher(q);
    await Promise.all([1, 2, 3].map((n) => b.send(n)));
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it("splits at 100 messages and by bytes; lingering collects later sends", async () => {
    const { q, batches } = fakeQueue();
    const b = new QueueBatcher(q, 5);
    const first = Array.from({ length: 150 }, (_, i) => b.send(i));
    await Promise.all(first);
    expect(batches.map((x) => x.length)).toEqual([100, 50]);
    batches.length = 0;
    const big = "x".repeat(100_000);
    await Promise.all([b.send(big), b.send(big), b.send(big)]);
    expect(batches.map((x) => x.length)).toEqual([2, 1]);
  });

  it("rejects the senders of a batch whose send fails", async () => {
    const q = { sendBatch: async () => { throw new Error("queue down"); } } as unknown as Queue<unknown>;
    await expect(new QueueBatcher(q).send(1)).rejects.toThrow("queue down");
  });
});

describe("PackingBatcher", () => {
  it("packs items into messages by count and by bytes, one sendBatch for the burst", async () => {
    const { q, batches } = fakeQueue();
    const b = new PackingBatcher<string>(q as Queue<{ events: string[] }>, 2, 50, 1000);
    await Promise.all(Array.from({ length: 120 }, (_, i) => b.send(`e${i}`)));
    // Full messages leave at once (one sendBatch for the burst), the partial one after the linger.
    expect(batches.map((b) => (b as { events: string[] }[]).map((m) => m.events.length))).toEqual([[50, 50], [20]]);
    const messages = batches.flat() as { events: string[] }[];
    expect(messages.flatMap((m) => m.events)).toEqual(Array.from({ length: 120 }, (_, i) => `e${i}`));
    batches.length = 0;
    await Promise.all(["a".repeat(600), "b".repeat(600), "c"].map((x) => b.send(x)));
    expect((batches.flat() as { events: string[] }[]).map((m) => m.events.length)).toEqual([1, 2]);
  });

  it("rejects the items of a message whose send fails", async () => {
    const q = { sendBatch: async () => { throw new Error("queue down"); } } as unknown as Queue<{ events: number[] }>;
    await expect(new PackingBatcher<number>(q, 0, 50, 1000).send(1)).rejects.toThrow("queue down");
  });
});

describe("messageBytes", () => {
  it("bounds both JSON (UTF-8) and V8 (1 or 2 bytes a unit) sizes", () => {
    expect(messageBytes({ t: "abc" })).toBe(11); // ASCII: one byte a character either way
    expect(messageBytes("é")).toBe(4); // "é" in JSON: 4 UTF-8 bytes, 3 V8 bytes
    expect(messageBytes("分散")).toBe(8); // 2 + 6 UTF-8 bytes
    const mixed = `${"a".repeat(1000)}😀`; // one emoji makes V8 store every unit in 2 bytes
    expect(messageBytes(mixed)).toBe(2 * JSON.stringify(mixed).length);
  });

  it("splits a batch of CJK posts by their bytes, not their characters", async () => {
    const { q, batches } = fakeQueue();
    const b = new QueueBatcher(q);
    const text = "分".repeat(20_000); // 60 KB of UTF-8 in 20,000 characters
    await Promise.all(Array.from({ length: 8 }, (_, i) => b.send({ i, text })));
    expect(batches.length).toBeGreaterThanOrEqual(2);
    for (const batch of batches) expect(batch.reduce((n: number, m) => n + messageBytes(m), 0)).toBeLessThanOrEqual(240 * 1024);
  });
});
