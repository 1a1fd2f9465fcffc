/**
 * What one process knows it stored for one cached function or route: key → size, in LRU order.
 * It enforces the per-function `maxEntries` on every store (SQLite and Redis have no notion of
 * "this function's entries") and feeds the entries/bytes stats.
 */
export class KeyIndex {
  readonly #sizes = new Map<string, number>();
  #bytes = 0;

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.#sizes.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Records a write; returns the keys pushed out by `maxEntries`, least recently used first. */
  add(key: string, size: number): string[] {
    this.remove(key);
    this.#sizes.set(key, size);
    this.#bytes += size;
    const evicted: string[] = [];
    for (const oldest of this.#sizes.keys()) {
      if (this.#sizes.size <= this.maxEntries) break;
      evicted.push(oldest);
      this.remove(oldest);
    }
    return evicted;
  }

  touch(key: string): void {
    // Recency only matters to a bound; without one the store's own LRU is the only one that counts.
    if (this.maxEntries === Infinity) return;
    const size = this.#sizes.get(key);
    if (size === undefined) return;
    this.#sizes.delete(key);
    this.#sizes.set(key, size);
  }

  remove(key: string): boolean {
    const size = this.#sizes.get(key);
    if (size === undefined) return false;
    this.#sizes.delete(key);
    this.#bytes -= size;
    return true;
  }

  keys(): string[] {
    return [...this.#sizes.keys()];
  }

  clear(): void {
    this.#sizes.clear();
    this.#bytes = 0;
  }
}
