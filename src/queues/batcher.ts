// Coalesces concurrent queue sends into sendBatch calls (≤100 messages, ≤256 KB), so a burst
// of intake becomes a few large queue operations instead of one per event.

const MAX_MESSAGES = 100;
const MAX_BYTES = 240 * 1024; // below the 256 KB batch limit, leaving room for framing

export class QueueBatcher<T> {
  private buffer: { body: T; bytes: number }[] = [];
  private scheduled: Promise<void> | null = null;

  constructor(private readonly queue: Queue<T>) {}

  /** Resolves once the batch holding `body` has been handed to the queue. */
  send(body: T): Promise<void> {
    this.buffer.push({ body, bytes: JSON.stringify(body).length + 64 });
    this.scheduled ??= Promise.resolve().then(() => this.flush());
    return this.scheduled;
  }

  private async flush(): Promise<void> {
    const items = this.buffer;
    this.buffer = [];
    this.scheduled = null;
    const sends: Promise<unknown>[] = [];
    let batch: { body: T }[] = [];
    let bytes = 0;
    for (const item of items) {
      if (batch.length === MAX_MESSAGES || (batch.length > 0 && bytes + item.bytes > MAX_BYTES)) {
        sends.push(this.queue.sendBatch(batch));
        batch = [];
        bytes = 0;
      }
      batch.push({ body: item.body });
      bytes += item.bytes;
    }
    if (batch.length > 0) sends.push(this.queue.sendBatch(batch));
    await Promise.all(sends);
  }
}
