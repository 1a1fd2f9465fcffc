/** Expired keys looked at per write by the incremental prune, so keys nobody reads again cannot pile up. */
const PRUNE_STEP = 4;

interface Indexed {
  size: number;
  /** When the store drops the entry by itself (ms since the epoch); Infinity for never. */
  expiresAt: number;
}

/**
 * What one process knows it stored for one cached function or route: key → size, in LRU order.
 * It enforces the per-function `maxEntries` on every store (SQLite and Redis have no notion of
 * "this function's entries") and feeds the entries/bytes stats.
 *
 * It is bounded whatever requests arrive: by `maxEntries` when set, else by `trackLimit` (the
 * oldest keys are then forgotten here, not deleted from the store, where they expire as usual).
 * It shrinks as entries leave: evictions and drops remove their keys, a read that finds nothing
 * removes its key, and keys past their expiry are pruned a few per write and wholly by `prune()`.
 */
export class KeyIndex {
  readonly #entries = new Map<string, Indexed>();
  readonly #bound: number;
  #bytes = 0;
  #cursor: Iterator<[string, Indexed]> | undefined;

  constructor(
    readonly maxEntries: number,
    trackLimit = Infinity,
  ) {
    this.#bound = maxEntries === Infinity ? trackLimit : maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Records a write; returns the keys pushed out by `maxEntries`, least recently used first
   * (the caller deletes them from the store). Keys past `trackLimit` are only forgotten.
   */
  add(key: string, size: number, expiresAt = Infinity, now = -Infinity): string[] {
    this.remove(key);
    this.#pruneStep(now);
    this.#entries.set(key, { size, expiresAt });
    this.#bytes += size;
    const evicted: string[] = [];
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#bound) break;
      if (this.maxEntries !== Infinity) evicted.push(oldest);
      this.remove(oldest);
    }
    return evicted;
  }

  touch(key: string): void {
    // Recency only matters to a bound; without one the store's own LRU is the only one that counts.
    if (this.maxEntries === Infinity) return;
    const indexed = this.#entries.get(key);
    if (indexed === undefined) return;
    this.#entries.delete(key);
    this.#entries.set(key, indexed);
  }

  remove(key: string): boolean {
    const indexed = this.#entries.get(key);
    if (indexed === undefined) return false;
    this.#entries.delete(key);
    this.#bytes -= indexed.size;
    return true;
  }

  /** Forgets every key whose entry the store has dropped by itself by `now`. */
  prune(now: number): void {
    for (const [key, indexed] of this.#entries) if (indexed.expiresAt <= now) this.remove(key);
  }

  keys(): string[] {
    return [...this.#entries.keys()];
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
    this.#cursor = undefined;
  }

  /** Looks at a few keys per write, resuming where it stopped, and forgets the expired ones. */
  #pruneStep(now: number): void {
    for (let step = 0; step < PRUNE_STEP; step++) {
      let next = this.#cursor?.next();
      if (next === undefined || next.done) {
        this.#cursor = this.#entries.entries();
        next = this.#cursor.next();
        if (next.done) return;
      }
      const [key, indexed] = next.value;
      if (indexed.expiresAt <= now) this.remove(key);
    }
  }
}
