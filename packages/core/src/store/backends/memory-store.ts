import { systemClock, type Clock } from '../../clock.js';
import { BadOptionError } from '../../errors.js';
import { TAG_PREFIX, type Store } from '../store.js';

/** Default byte budget of the in-process store: an app that never configures one still never grows unbounded. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/**
 * What an entry costs the process on top of its key and value bytes: the Map slots (here and in the
 * per-function index), the slot object, the Buffer object, the ArrayBuffer's native bookkeeping and
 * the allocator and GC slack around them. Measured on Node 20 with 100,000 stored 1 KiB responses
 * (bench/, memory scenario): about 1 KiB per entry. Counting it keeps `maxBytes` a bound on
 * resident memory rather than on payload bytes alone.
 */
export const ENTRY_OVERHEAD_BYTES = 1024;

/** Expired entries looked at per write by the incremental sweep, so untouched junk cannot pile up. */
const SWEEP_STEP = 4;

/** Why an entry left the memory store on its own: LRU pressure (`maxEntries`/`maxBytes`) or its TTL. */
export type EvictionReason = 'lru' | 'expired';

/** Options of {@link MemoryStore}; `createLarder` fills them from its own `maxEntries`/`maxBytes`/`clock`. */
export interface MemoryStoreOptions {
  /**
   * Most evictable entries kept; the least recently used go first. Tag versions do not count.
   * @default Infinity (bounded by `maxBytes`)
   */
  maxEntries?: number;
  /**
   * Byte budget (key + value + {@link ENTRY_OVERHEAD_BYTES} per entry). A value that alone exceeds it is not stored.
   * @default DEFAULT_MAX_BYTES (256 MiB)
   */
  maxBytes?: number;
  /** Time source for TTLs. @default systemClock */
  clock?: Clock;
  /** Called after an entry leaves because of LRU pressure or expiry (not on delete, overwrite or clear). */
  onEvict?: (key: string, reason: EvictionReason) => void;
}

interface Slot {
  value: Buffer;
  /** Milliseconds since the epoch; Infinity for no expiry. */
  expiresAt: number;
  size: number;
}

/**
 * The in-process store: a Map-ordered LRU bounded by entry count and bytes, with TTLs read from an
 * injected clock. Expiry is lazy (checked on read) plus an incremental sweep on writes and eviction of
 * expired entries first; there are no timers, so it never keeps a process alive.
 *
 * Keys under {@link TAG_PREFIX} are pinned: evicting a tag version could resurrect entries it invalidated.
 * They count toward `maxBytes` but are never LRU-evicted (they may still expire).
 *
 * `set` copies the value; buffers returned by `get`/`getSync` belong to the store and must not be mutated.
 *
 * @example
 * const store = new MemoryStore({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 });
 * await store.set('e:answer', Buffer.from('42'), 60_000);
 * store.getSync('e:answer'); // <Buffer 34 32>
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #clock: Clock;
  readonly #onEvict: ((key: string, reason: EvictionReason) => void) | undefined;
  /** Insertion order is recency order: the first key is the least recently used. */
  readonly #lru = new Map<string, Slot>();
  readonly #pinned = new Map<string, Slot>();
  /** The key last put at the end of `#lru`: while it is there, reading it again needs no move. */
  #newest: string | undefined;
  #bytes = 0;
  #sweepCursor: Iterator<[string, Slot]> | undefined;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    const { maxEntries = Infinity, maxBytes = DEFAULT_MAX_BYTES } = options;
    if (!(maxEntries === Infinity || (Number.isInteger(maxEntries) && maxEntries > 0))) {
      throw new BadOptionError('maxEntries', `expected a positive integer, got ${String(maxEntries)}`, 'maxEntries: 1000');
    }
    if (!(maxBytes > 0)) {
      throw new BadOptionError('maxBytes', `expected a positive number of bytes, got ${String(maxBytes)}`, 'maxBytes: 64 * 1024 * 1024');
    }
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
    this.#clock = options.clock ?? systemClock;
    this.#onEvict = options.onEvict;
  }

  /** Number of entries held, tag versions included. */
  get size(): number {
    return this.#lru.size + this.#pinned.size;
  }

  /** Estimated bytes held (see {@link ENTRY_OVERHEAD_BYTES}). */
  get bytes(): number {
    return this.#bytes;
  }

  getSync(key: string): Buffer | undefined {
    this.#assertOpen();
    const pinned = isPinned(key);
    const slot = (pinned ? this.#pinned : this.#lru).get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt <= this.#clock.now()) {
      this.#evict(key, slot, 'expired');
      return undefined;
    }
    if (!pinned && key !== this.#newest) {
      this.#lru.delete(key);
      this.#lru.set(key, slot);
      this.#newest = key;
    }
    return slot.value;
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.getSync(key);
  }

  async getMany(keys: readonly string[]): Promise<Array<Buffer | undefined>> {
    return keys.map((key) => this.getSync(key));
  }

  async set(key: string, value: Buffer, ttlMs?: number): Promise<void> {
    this.#assertOpen();
    assertTtl(ttlMs);
    const now = this.#clock.now();
    this.#sweepStep(now);
    this.#remove(key);
    const size = entrySize(key, value);
    // A tag version is never dropped: losing an invalidation would serve invalidated entries.
    const pinned = isPinned(key);
    if (!pinned && !this.#makeRoom(size, now)) return;
    const slot: Slot = { value: copy(value), expiresAt: now + (ttlMs ?? Infinity), size };
    (pinned ? this.#pinned : this.#lru).set(key, slot);
    if (!pinned) this.#newest = key;
    this.#bytes += size;
  }

  async delete(key: string): Promise<boolean> {
    this.#assertOpen();
    return this.#remove(key) !== undefined;
  }

  async clear(): Promise<void> {
    this.#assertOpen();
    this.#drop();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#drop();
    this.#closed = true;
  }

  /** Evicts expired, then least recently used, entries until `size` more bytes and one more entry fit. */
  #makeRoom(size: number, now: number): boolean {
    if (size > this.#maxBytes) return false;
    for (const [key, slot] of this.#lru) {
      if (this.#bytes + size <= this.#maxBytes && this.#lru.size < this.#maxEntries) return true;
      this.#evict(key, slot, slot.expiresAt <= now ? 'expired' : 'lru');
    }
    // Only pinned tag versions are left; they may fill the budget, and then the entry is not stored.
    return this.#bytes + size <= this.#maxBytes && this.#lru.size < this.#maxEntries;
  }

  /**
   * Looks at a few entries per write, resuming where it stopped. An expired entry is never moved
   * (reading it removes it), so the cursor always reaches it.
   */
  #sweepStep(now: number): void {
    for (let step = 0; step < SWEEP_STEP; step++) {
      let next = this.#sweepCursor?.next();
      if (next === undefined || next.done) {
        this.#sweepCursor = this.#allSlots();
        next = this.#sweepCursor.next();
        if (next.done) return;
      }
      const [key, slot] = next.value;
      if (slot.expiresAt <= now) this.#evict(key, slot, 'expired');
    }
  }

  *#allSlots(): Generator<[string, Slot]> {
    yield* this.#lru;
    yield* this.#pinned;
  }

  #evict(key: string, slot: Slot, reason: EvictionReason): void {
    (isPinned(key) ? this.#pinned : this.#lru).delete(key);
    this.#bytes -= slot.size;
    this.#onEvict?.(key, reason);
  }

  #remove(key: string): Slot | undefined {
    const map = isPinned(key) ? this.#pinned : this.#lru;
    const slot = map.get(key);
    if (slot === undefined) return undefined;
    map.delete(key);
    this.#bytes -= slot.size;
    return slot;
  }

  #drop(): void {
    this.#lru.clear();
    this.#pinned.clear();
    this.#newest = undefined;
    this.#bytes = 0;
    this.#sweepCursor = undefined;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('This Larder memory store is closed; create a new larder to cache again.');
  }
}

/** The bytes an entry is charged against `maxBytes`. Keys are counted as UTF-16, V8's worst case. */
export function entrySize(key: string, value: Buffer): number {
  return key.length * 2 + value.byteLength + ENTRY_OVERHEAD_BYTES;
}

function isPinned(key: string): boolean {
  return key.startsWith(TAG_PREFIX);
}

/**
 * An unpooled copy: a small Buffer may be a view into a shared 8 KiB slab that it would keep alive.
 * A Buffer that is its whole ArrayBuffer (Larder's envelopes above 4 KiB) is kept as it is: the
 * store never writes into it, and a 10 MB response is not copied a second time.
 */
function copy(value: Buffer): Buffer {
  if (value.byteOffset === 0 && value.buffer.byteLength === value.byteLength) return value;
  const out = Buffer.allocUnsafeSlow(value.byteLength);
  value.copy(out);
  return out;
}

function assertTtl(ttlMs: number | undefined): void {
  if (ttlMs !== undefined && !(ttlMs > 0)) {
    throw new RangeError(`A store TTL is a positive number of milliseconds (or undefined for none); got ${String(ttlMs)}.`);
  }
}
