// A bounded map that forgets the least recently used entry first (Map keeps insertion order;
// a hit re-inserts). Used for per-DO read caches that a write clears as a whole. The bound is
// on entries, or with `weigh` on their summed weight (e.g. bytes).
export class Lru<K, V> {
  protected readonly map = new Map<K, V>();
  private total = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly max: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError("cache max must be a positive integer");
  }

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: K, value: V): void {
    this.delete(key);
    this.map.set(key, value);
    this.total += this.weigh(value);
    // The entry just set stays even when it alone weighs more than max.
    while (this.total > this.max && this.map.size > 1) this.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    const old = this.map.get(key);
    if (old === undefined) return;
    this.map.delete(key);
    this.total -= this.weigh(old);
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }

  /** Summed weight of the entries (their count without `weigh`). */
  get weight(): number {
    return this.total;
  }

  get size(): number {
    return this.map.size;
  }
}

/**
 * A bounded map that forgets the oldest inserted entry first: a hit costs one Map lookup (an
 * Lru hit re-inserts). For caches of immutable values read many times per request (rows of a
 * ranking, snippets), where the order of eviction matters less than the cost of a hit.
 */
export class FifoCache<K, V> extends Lru<K, V> {
  override get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) this.misses++;
    else this.hits++;
    return v;
  }
}
