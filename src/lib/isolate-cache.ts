// A value an isolate reads once and keeps (a witness set, the system DID, the DHT directory, a
// key): fixed for a deployment's configuration, so it is cached for the isolate's life, keyed
// by the configuration it depends on.
//
// It holds the resolved value only, never a pending promise. In workerd a promise is bound to
// the request (or Durable Object) whose I/O settles it: if that request ends or is cancelled
// first, every other request awaiting the promise is cancelled with it, and a cache that kept
// the promise would hang every later caller for the isolate's life. So until a value is
// cached, each caller does its own (idempotent) read, and the first to finish fills the cache
// (DECISIONS 175).
const all = new Set<IsolateCache<unknown, unknown>>();

export class IsolateCache<K, V> {
  private entry: { key: K; value: V } | undefined;

  constructor() {
    all.add(this as IsolateCache<unknown, unknown>);
  }

  /** The cached value for `key`, else `load()`'s (then cached). */
  async get(key: K, load: () => Promise<V>): Promise<V> {
    const e = this.entry;
    if (e !== undefined && e.key === key) return e.value;
    const value = await load();
    this.entry = { key, value };
    return value;
  }

  /** Drops the cached value (the next `get` reads it again). */
  forget(): void {
    this.entry = undefined;
  }
}

/** Tests only: every isolate cache forgets its value, as in a fresh isolate. */
export function forgetIsolateCaches(): void {
  for (const c of all) c.forget();
}
