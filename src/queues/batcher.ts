// Coalesces queue sends into sendBatch calls (≤100 messages, ≤256 KB), so a burst of intake
// becomes a few large queue operations instead of one per event. A batch leaves when it is
// full or `lingerMs` after its first message (0: at the end of the current microtask).

const MAX_MESSAGES = 100;
const MAX_BYTES = 240 * 1024; // below the 256 KB batch limit, leaving room for framing

interface Pending<T> {
  items: { body: T; bytes: number }[];
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class QueueBatcher<T> {
  private current: Pending<T> | null = null;

  constructor(
    private readonly queue: Queue<T>,
    private readonly lingerMs = 0,
  ) {}

  /** Resolves once the batch holding `body` has been handed to the queue. */
  send(body: T): Promise<void> {
    let batch = this.current;
    if (!batch) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      batch = this.current = { items: [], done, resolve, reject };
      const b = batch;
      const flushLater = () => {
        if (this.current === b) this.flush();
      };
      if (this.lingerMs > 0) setTimeout(flushLater, this.lingerMs);
      else queueMicrotask(flushLater);
    }
    batch.items.push({ body, bytes: JSON.stringify(body).length + 64 });
    if (batch.items.length >= MAX_MESSAGES) this.flush();
    return batch.done;
  }

  private flush(): void {
    const batch = this.current;
    if (!batch) return;
    this.current = null;
    const sends: Promise<unknown>[] = [];
    let chunk: { body: T }[] = [];
    let bytes = 0;
    for (const item of batch.items) {
      if (chunk.length > 0 && bytes + item.bytes > MAX_BYTES) {
        sends.push(this.queue.sendBatch(chunk));
        chunk = [];
        bytes = 0;
      }
      chunk.push({ body: item.body });
      bytes += item.bytes;
    }
    if (chunk.length > 0) sends.push(this.queue.sendBatch(chunk));
    Promise.all(sends).then(() => batch.resolve(), batch.reject);
  }
}

/**
 * Packs items into messages `{events: I[]}` of at most `maxItems` items and `maxBytes` of JSON,
 * handed to a QueueBatcher: a burst of intake becomes a few messages, and one queue batch of
 * ≤100 messages carries many more items. An item's promise settles with its message's send.
 */
export class PackingBatcher<I> {
  private items: { item: I; bytes: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private readonly out: QueueBatcher<{ events: I[] }>;

  constructor(
    queue: Queue<{ events: I[] }>,
    private readonly lingerMs: number,
    private readonly maxItems: number,
    private readonly maxBytes: number,
  ) {
    this.out = new QueueBatcher(queue);
  }

  send(item: I): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.items.length === 0) setTimeout(() => this.flush(), this.lingerMs);
      this.items.push({ item, bytes: JSON.stringify(item).length + 1, resolve, reject });
      if (this.items.length >= this.maxItems * MAX_MESSAGES) this.flush();
    });
  }

  private flush(): void {
    const items = this.items;
    if (items.length === 0) return;
    this.items = [];
    let message: typeof items = [];
    let bytes = 0;
    const ship = () => {
      const group = message;
      this.out.send({ events: group.map((x) => x.item) }).then(
        () => group.forEach((x) => x.resolve()),
        (err) => group.forEach((x) => x.reject(err)),
      );
      message = [];
      bytes = 0;
    };
    for (const x of items) {
      if (message.length > 0 && (message.length >= this.maxItems || bytes + x.bytes > this.maxBytes)) ship();
      message.push(x);
      bytes += x.bytes;
    }
    if (message.length > 0) ship();
  }
}
