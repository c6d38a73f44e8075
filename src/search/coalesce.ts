// Coalescing of concurrent calls per key (here: per IndexShard): calls that arrive within
// `lingerMs` of each other, up to `maxItems`, travel as one RPC. A search fans out to every
// shard, so without this each search costs INDEX_SHARDS round trips; with it, N concurrent
// searches share them. Results go back to each caller by position.
//
// Each caller's promise is its own: workerd delivers a promise's continuation to the request
// that awaits it (handle_cross_request_promise_resolution). If the request that happened to
// send a batch is cancelled, that batch may never settle; so every caller also has its own
// deadline (one per runMany, covering all its keys), after which it sends its items alone.

export interface CoalesceOptions {
  maxItems: number;
  /** How long a batch waits for more items; a function is asked when a batch opens (≤ 0: send at once). */
  lingerMs: number | (() => number);
  /** A caller whose batch has not answered by then sends its item alone. */
  fallbackMs: number;
}

interface Pending<Q, R> {
  items: Q[];
  waiters: { resolve: (r: R) => void; reject: (e: unknown) => void }[];
  timer: ReturnType<typeof setTimeout> | null;
}

export class Coalescer<Q, R> {
  private readonly pending = new Map<string, Pending<Q, R>>();

  constructor(
    private readonly send: (key: string, items: Q[]) => Promise<R[]>,
    private readonly opts: CoalesceOptions,
  ) {}

  run(key: string, item: Q): Promise<R> {
    return this.runMany([key], [item]).then((rs) => rs[0]!);
  }

  /**
   * One item per key (e.g. one query for every shard), with one deadline for all of them:
   * if the batches have not all answered by then, the caller sends its items alone.
   */
  runMany(keys: readonly string[], items: Q[]): Promise<R[]> {
    const batched = Promise.all(keys.map((key, i) => this.enqueue(key, items[i]!)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const alone = new Promise<R[]>((resolve, reject) => {
      timer = setTimeout(() => {
        Promise.all(keys.map((key, i) => this.send(key, [items[i]!]).then((rs) => rs[0]!))).then(resolve, reject);
      }, this.opts.fallbackMs);
    });
    return Promise.race([batched, alone]).finally(() => {
      if (timer !== undefined) clearTimeout(timer);
    });
  }

  private enqueue(key: string, item: Q): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let p = this.pending.get(key);
      if (!p) {
        p = { items: [], waiters: [], timer: null };
        this.pending.set(key, p);
        const linger = typeof this.opts.lingerMs === "function" ? this.opts.lingerMs() : this.opts.lingerMs;
        if (linger > 0) p.timer = setTimeout(() => this.flush(key), linger);
      }
      p.items.push(item);
      p.waiters.push({ resolve, reject });
      if (p.items.length >= this.opts.maxItems || p.timer === null) this.flush(key);
    });
  }

  private flush(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    if (p.timer !== null) clearTimeout(p.timer);
    this.send(key, p.items).then(
      (results) => p.waiters.forEach((w, i) => (i < results.length ? w.resolve(results[i]!) : w.reject(new Error("coalesced call returned too few results")))),
      (err) => p.waiters.forEach((w) => w.reject(err)),
    );
  }
}
