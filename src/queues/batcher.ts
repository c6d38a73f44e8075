// Coalesces queue sends into sendBatch calls (≤100 messages, ≤256 KB), so a burst of intake
// becomes a few large queue operations instead of one per event. A batch leaves when it is
// full or `lingerMs` after its first message (0: at the end of the current microtask).

import { utf8ByteLength } from "../lib/encoding";

const MAX_MESSAGES = 100;
const MAX_BYTES = 240 * 1024; // below the 256 KB batch limit, leaving room for framing

/**
 * An upper bound of a value's size in a queue message, whichever way it is serialised: JSON is
 * UTF-8 (up to 3 bytes a UTF-16 unit), V8's format keeps a string in 1 byte a unit, or 2 once
 * it holds any character above U+00FF. The limits are in bytes; counting characters let a
 * batch of CJK posts exceed them and fail every retry (DECISIONS 157).
 */
export function messageBytes(value: unknown): number {
  const json = JSON.stringify(value);
  return Math.max(utf8ByteLength(json), /[^\u0000-\u00ff]/.test(json) ? 2 * json.length : json.length);
}

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
    batch.items.push({ body, bytes: messageBytes(body) + 64 });
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
 * handed to a QueueBatcher: a message leaves as soon as it is full, a partial one `lingerMs`
 * after its first item (a number, or a function asked when a message starts). A burst of
 * intake becomes a few messages, and one queue batch of ≤100 messages carries many more items.
 * An item's promise settles with its message's send.
 */
export class PackingBatcher<I> {
  private group: { item: I; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private bytes = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly out: QueueBatcher<{ events: I[] }>;

  constructor(
    queue: Queue<{ events: I[] }>,
    private readonly lingerMs: number | (() => number),
    private readonly maxItems: number,
    private readonly maxBytes: number,
  ) {
    this.out = new QueueBatcher(queue);
  }

  send(item: I): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const bytes = messageBytes(item) + 1;
      if (this.group.length > 0 && this.bytes + bytes > this.maxBytes) this.ship();
      this.group.push({ item, resolve, reject });
      this.bytes += bytes;
      if (this.group.length >= this.maxItems) this.ship();
      else if (this.timer === null) this.timer = setTimeout(() => this.ship(), typeof this.lingerMs === "number" ? this.lingerMs : this.lingerMs());
    });
  }

  private ship(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const group = this.group;
    this.group = [];
    this.bytes = 0;
    if (group.length === 0) return;
    this.out.send({ events: group.map((x) => x.item) }).then(
      () => group.forEach((x) => x.resolve()),
      (err) => group.forEach((x) => x.reject(err)),
    );
  }
}
