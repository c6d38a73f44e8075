import { describe, expect, it } from "vitest";
import { QueueBatcher } from "../../src/queues/batcher";

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
