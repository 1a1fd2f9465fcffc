import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from './clock.js';
import { parseDuration } from './duration.js';
import { decodeEntry, encodeEntry, type Entry, type EntryHeader } from './entry.js';
import { BadOptionError, ResourceError } from './errors.js';
import type { LarderEvent, LarderEventName, LarderReason } from './events.js';
import { KeyIndex } from './key-index.js';
import { ResourceRegistry } from './registry.js';
import { StatsBook, type CacheStats } from './stats.js';
import { ENTRY_PREFIX, TAG_PREFIX, type Store } from './store.js';
import { resolveStore, type StoreOption } from './stores/resolve-store.js';

/** Options of `createLarder()` and `configure()`. */
export interface LarderOptions {
  /**
   * Where entries live: `'memory://'` (default), `'sqlite://./.larder/cache.sqlite'`,
   * `'redis://127.0.0.1:6379/0'`, a Keyv instance or a Keyv storage adapter.
   * @default process.env.LARDER_STORE ?? 'memory://'
   */
  store?: StoreOption;
  /** Memory store only: most entries kept (LRU). @default unbounded (maxBytes bounds it) */
  maxEntries?: number;
  /** Memory store only: most bytes kept (LRU). @default 256 MiB */
  maxBytes?: number;
  /**
   * How long a store read may take before it counts as a miss (a duration; numbers are seconds).
   * @default '100ms'
   */
  storeTimeout?: number | string;
  /** Time source for TTLs; inject one in tests. @default Date.now */
  clock?: Clock;
  /** Prefix that separates this app's keys from others sharing a Redis or SQLite store. @default 'larder' */
  namespace?: string;
}

/** One cached function or route: its identity in keys, its counters and what this process stored. */
export interface CacheSpace {
  /** Stable identity used in store keys: name + hash of the code. */
  readonly id: string;
  /** Human name used in stats, events and warnings. */
  readonly name: string;
  readonly kind: 'data' | 'http';
  readonly index: KeyIndex;
  readonly stats: CacheStats;
  /** The tags every entry of this space carries: its kind's and its own (for clear()). */
  readonly tags: readonly string[];
}

export type ReadResult =
  | { state: 'fresh'; entry: Entry; ageMs: number; tagVersions: Record<string, string> }
  | { state: 'stale'; entry: Entry; ageMs: number; tagVersions: Record<string, string> }
  | { state: 'miss'; reason: LarderReason; tagVersions: Record<string, string> | undefined };

export interface WriteSpec {
  freshForMs: number;
  /** Extra time a stale entry may be served after it stops being fresh. */
  staleForMs: number;
  meta?: unknown;
}

const DEFAULT_STORE_TIMEOUT_MS = 100;
const NO_TAG = '0';

/**
 * A larder: one store, its events and stats, and a registry of app-wide resources.
 * `createLarder()` makes one; the default one is configured with `configure()`.
 */
export class Larder extends EventEmitter {
  /** App-wide resources by name (database pools, clients, models). */
  readonly resources: ResourceRegistry;
  #clock: Clock = systemClock;
  #store!: Store;
  #storeTimeoutMs = DEFAULT_STORE_TIMEOUT_MS;
  readonly #spaces = new Map<string, CacheSpace>();
  readonly #stats = new StatsBook();
  readonly #closers = new Set<() => Promise<void> | void>();
  /**
   * Envelopes already verified, by the identity of their bytes. The memory store hands back the
   * very Buffer it holds, so a memory hit skips the checksum; bytes from SQLite or Redis are new
   * Buffers on every read and are always checked.
   */
  readonly #verified = new WeakMap<Buffer, Entry>();
  /**
   * Tag versions, when the store is this larder's own memory store: nothing else can write them
   * there, so a hit need not read them back from the store. Undefined for shared stores.
   */
  #ownTags: Map<string, string> | undefined;
  /**
   * Deletes of dropped entries still in flight, by key. A rewrite of the same key waits for its delete:
   * `@keyv/sqlite` deletes with a SELECT then a DELETE, which would remove a value set in between.
   */
  readonly #dropping = new Map<string, Promise<void>>();
  #closing: Promise<void> | undefined;

  constructor(options: LarderOptions = {}) {
    super();
    this.resources = new ResourceRegistry(this);
    this.#apply(options);
  }

  /** The time source every TTL of this larder is measured with. */
  get clock(): Clock {
    return this.#clock;
  }

  /** The store backend (`memory`, `sqlite`, `redis`, `keyv`). */
  get storeKind(): string {
    return this.#store.kind;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Replaces the store and settings in place (used by `configure()` on the default larder). */
  reconfigure(options: LarderOptions): void {
    this.#assertOpen();
    const previous = this.#store;
    this.#apply(options);
    for (const space of this.#spaces.values()) {
      space.index.clear();
      space.stats.entries = 0;
      space.stats.bytes = 0;
    }
    previous.close().catch((error: unknown) => this.#emitError('larder', 'data', error, 'store-error'));
  }

  #apply(options: LarderOptions): void {
    if (options === null || typeof options !== 'object') {
      throw new BadOptionError('options', 'expected an object', "createLarder({ store: 'memory://' })");
    }
    const clock = options.clock ?? systemClock;
    if (typeof clock.now !== 'function') {
      throw new BadOptionError('clock', 'expected an object with a now() method', '{ clock: { now: () => Date.now() } }');
    }
    for (const option of ['maxEntries', 'maxBytes'] as const) {
      const value = options[option];
      if (value !== undefined && !(Number.isInteger(value) && value > 0) && value !== Infinity) {
        throw new BadOptionError(option, `expected a positive integer, got ${String(value)}`, `{ ${option}: 1000 }`);
      }
    }
    const timeout = options.storeTimeout === undefined ? DEFAULT_STORE_TIMEOUT_MS : parseDuration(options.storeTimeout, 'storeTimeout');
    this.#clock = clock;
    this.#storeTimeoutMs = timeout;
    const storeOption = options.store ?? process.env.LARDER_STORE;
    this.#ownTags = storeOption === undefined || storeOption === 'memory://' ? new Map() : undefined;
    this.#store = resolveStore(storeOption, {
      maxEntries: options.maxEntries,
      maxBytes: options.maxBytes,
      clock,
      namespace: options.namespace ?? 'larder',
      onEvict: (key, reason) => this.#storeEvicted(key, reason),
    });
  }

  /** Per-function and per-route counters: hits, misses, stale hits, errors, entries, bytes and compute time. */
  stats(): Record<string, CacheStats> {
    return this.#stats.snapshot();
  }

  /**
   * Drops every entry written with these tags, in every process that shares the store:
   * each tag's version moves on, and entries carrying the old version read as misses.
   * @example await larder.invalidate(['user:42', 'users'])
   */
  async invalidate(tags: string | readonly string[]): Promise<void> {
    this.#assertOpen();
    const list = typeof tags === 'string' ? [tags] : [...tags];
    for (const tag of list) {
      if (typeof tag !== 'string' || tag.length === 0) {
        throw new BadOptionError('tags', `expected non-empty strings, got ${String(tag)}`, "larder.invalidate('user:42')");
      }
    }
    await Promise.all(list.map((tag) => this.#bumpTag(tag)));
  }

  /** Drops every cached entry (data and HTTP) in the store. Resources are not touched. */
  async clear(): Promise<void> {
    this.#assertOpen();
    for (const space of this.#spaces.values()) {
      space.index.clear();
      space.stats.entries = 0;
      space.stats.bytes = 0;
    }
    this.#ownTags?.clear();
    await this.#store.clear();
  }

  /** Releases every resource (reverse creation order), then closes the store. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const errors: unknown[] = [];
      for (const close of [...this.#closers].reverse()) {
        try {
          await close();
        } catch (error) {
          errors.push(error);
        }
      }
      await this.resources.close().catch((error: unknown) => errors.push(error));
      await this.#store.close().catch((error: unknown) => errors.push(error));
      for (const error of errors) this.#emitError('larder', 'resource', error, 'released');
    })();
    return this.#closing;
  }

  // ---- engine API: used by cacheData, cacheResource and the HTTP module -------------------------

  /** @internal Registers (or finds) the space of a cached function or route. */
  space(id: string, name: string, kind: 'data' | 'http', maxEntries = Infinity): CacheSpace {
    let space = this.#spaces.get(id);
    if (!space) {
      space = { id, name, kind, index: new KeyIndex(maxEntries), stats: this.#stats.row(name, kind), tags: [kindTag(kind), `larder:space:${id}`] };
      this.#spaces.set(id, space);
    }
    return space;
  }

  /** @internal A resource cache's counters. */
  resourceStats(name: string): CacheStats {
    return this.#stats.row(name, 'resource');
  }

  /** @internal Called by `close()`, after the larder stops handing out values. */
  onClose(close: () => Promise<void> | void): () => void {
    this.#closers.add(close);
    return () => this.#closers.delete(close);
  }

  /** @internal The store key of an entry of `space`. */
  entryKey(space: CacheSpace, hash: string): string {
    return `${ENTRY_PREFIX}${space.id}|${hash}`;
  }

  /**
   * @internal Reads an entry and the versions of its tags in one round trip. Never rejects:
   * store failures, timeouts and corrupt entries are misses (with an `error` event).
   * Answers synchronously when the store can (memory), to keep hits off the promise queue.
   */
  read(space: CacheSpace, key: string, tags: readonly string[] = []): ReadResult | Promise<ReadResult> {
    if (this.closed) return { state: 'miss', reason: 'store-error', tagVersions: undefined };
    const names = allTags(space, tags);
    const store = this.#store;
    if (store.getSync) {
      try {
        const tagVersions: Record<string, string> = {};
        for (const tag of names) {
          tagVersions[tag] = this.#ownTags ? (this.#ownTags.get(tag) ?? NO_TAG) : (store.getSync(TAG_PREFIX + tag)?.toString('utf8') ?? NO_TAG);
        }
        return this.#judge(space, key, store.getSync(key), tagVersions);
      } catch (error) {
        return this.#readFailed(space, key, error, 'store-error');
      }
    }
    return this.#readAsync(space, key, names);
  }

  async #readAsync(space: CacheSpace, key: string, names: readonly string[]): Promise<ReadResult> {
    const keys = [key, ...names.map((tag) => TAG_PREFIX + tag)];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, this.#storeTimeoutMs, 'timeout');
    });
    try {
      const values = await Promise.race([this.#store.getMany(keys), timeout]);
      if (values === 'timeout') {
        return this.#readFailed(space, key, new Error(`store read took longer than ${this.#storeTimeoutMs} ms (storeTimeout)`), 'store-timeout');
      }
      const tagVersions: Record<string, string> = {};
      names.forEach((tag, i) => {
        tagVersions[tag] = values[i + 1]?.toString('utf8') ?? NO_TAG;
      });
      return this.#judge(space, key, values[0], tagVersions);
    } catch (error) {
      return this.#readFailed(space, key, error, 'store-error');
    } finally {
      clearTimeout(timer);
    }
  }

  #judge(space: CacheSpace, key: string, bytes: Buffer | undefined, tagVersions: Record<string, string>): ReadResult {
    if (bytes === undefined || bytes === null) return { state: 'miss', reason: 'absent', tagVersions };
    const entry = this.#verified.get(bytes) ?? decodeEntry(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
    if (typeof entry !== 'string') this.#verified.set(bytes, entry);
    if (typeof entry === 'string') {
      this.#drop(space, key);
      space.stats.errors++;
      this.emitEvent('error', { cache: space.name, kind: space.kind, key, reason: 'corrupt', error: new Error(`corrupt entry: ${entry}`) });
      return { state: 'miss', reason: 'corrupt', tagVersions };
    }
    if (!tagsCurrent(entry.header.tags, tagVersions)) {
      this.#drop(space, key);
      return { state: 'miss', reason: 'invalidated', tagVersions };
    }
    const now = this.#clock.now();
    const ageMs = Math.max(0, now - entry.header.storedAt);
    const { freshUntil, staleUntil } = entry.header;
    if (freshUntil === null || now < freshUntil) {
      space.index.touch(key);
      return { state: 'fresh', entry, ageMs, tagVersions };
    }
    if (staleUntil !== null && now < staleUntil) return { state: 'stale', entry, ageMs, tagVersions };
    this.#drop(space, key);
    return { state: 'miss', reason: 'expired', tagVersions };
  }

  #readFailed(space: CacheSpace, key: string, error: unknown, reason: LarderReason): ReadResult {
    space.stats.errors++;
    this.#emitError(space.name, space.kind, error, reason, key);
    return { state: 'miss', reason, tagVersions: undefined };
  }

  /**
   * @internal Stores an entry in the background: never awaited by a caller, never rejects. Returns
   * the entry as encoded (its payload a view of the stored bytes), or undefined when not written.
   * Without the tag versions of a successful read the write is skipped — an entry stamped with
   * guessed versions could survive an invalidation it never saw.
   */
  write(space: CacheSpace, key: string, payload: Buffer | readonly Buffer[], spec: WriteSpec, tagVersions: Record<string, string> | undefined): Entry | undefined {
    if (this.closed || tagVersions === undefined) return undefined;
    const now = this.#clock.now();
    const freshUntil = spec.freshForMs === Infinity ? null : now + spec.freshForMs;
    const staleUntil = freshUntil === null ? null : spec.staleForMs === Infinity ? null : freshUntil + spec.staleForMs;
    const header: EntryHeader = { kind: space.kind, storedAt: now, freshUntil, staleUntil, tags: stampedTags(tagVersions) };
    if (spec.meta !== undefined) header.meta = spec.meta;
    const bytes = encodeEntry(header, payload);
    const entry = decodeEntry(bytes) as Entry;
    this.#verified.set(bytes, entry);
    const ttlMs = staleUntil === null ? undefined : Math.max(1, Math.ceil(staleUntil - now));
    const evicted = space.index.add(key, bytes.length);
    this.#syncSize(space);
    for (const old of evicted) {
      this.#store.delete(old).catch((error: unknown) => this.#emitError(space.name, space.kind, error, 'store-error', old));
      this.emitEvent('evict', { cache: space.name, kind: space.kind, key: old, reason: 'max-entries' });
    }
    const dropping = this.#dropping.get(key);
    const stored = dropping ? dropping.then(() => this.#store.set(key, bytes, ttlMs)) : this.#store.set(key, bytes, ttlMs);
    stored.then(
      () => this.emitEvent('set', { cache: space.name, kind: space.kind, key, bytes: bytes.length }),
      (error: unknown) => {
        space.index.remove(key);
        this.#syncSize(space);
        space.stats.errors++;
        this.#emitError(space.name, space.kind, error, 'store-error', key);
      },
    );
    return entry;
  }

  /** @internal Deletes one entry (per-argument `clear`). */
  async forget(space: CacheSpace, key: string): Promise<void> {
    this.#assertOpen();
    space.index.remove(key);
    this.#syncSize(space);
    await this.#store.delete(key);
  }

  /** @internal Drops every entry of one function or route, in every process sharing the store. */
  async clearSpace(space: CacheSpace): Promise<void> {
    this.#assertOpen();
    const keys = space.index.keys();
    space.index.clear();
    this.#syncSize(space);
    await Promise.all([
      this.#bumpTag(spaceTag(space)),
      ...keys.map((key) => this.#store.delete(key)),
    ]);
  }

  /** @internal Drops every entry of one kind (`cacheData.clear()`), in every process sharing the store. */
  async clearKind(kind: 'data' | 'http'): Promise<void> {
    this.#assertOpen();
    const deletes: Array<Promise<boolean>> = [];
    for (const space of this.#spaces.values()) {
      if (space.kind !== kind) continue;
      for (const key of space.index.keys()) deletes.push(this.#store.delete(key));
      space.index.clear();
      this.#syncSize(space);
    }
    await Promise.all([this.#bumpTag(kindTag(kind)), ...deletes]);
  }

  /** Moves a tag to a new version: entries stamped with the old one read as invalidated. */
  #bumpTag(tag: string): Promise<void> {
    const version = newVersion();
    this.#ownTags?.set(tag, version);
    return this.#store.set(TAG_PREFIX + tag, Buffer.from(version));
  }

  /** @internal Emits an event; `error` events never throw when nobody listens. */
  emitEvent(name: LarderEventName, event: LarderEvent): void {
    if (name === 'error' && this.listenerCount('error') === 0) return;
    this.emit(name, event);
  }

  /** @internal */
  assertOpen(): void {
    this.#assertOpen();
  }

  #assertOpen(): void {
    if (this.closed) {
      throw new ResourceError('This larder was closed with close(); create a new one with createLarder() to keep caching.');
    }
  }

  #emitError(cache: string, kind: LarderEvent['kind'], error: unknown, reason: LarderReason, key?: string): void {
    this.emitEvent('error', { cache, kind, key, reason, error });
  }

  #drop(space: CacheSpace, key: string): void {
    if (space.index.remove(key)) this.#syncSize(space);
    const deleted = this.#store.delete(key).then(
      () => undefined,
      (error: unknown) => this.#emitError(space.name, space.kind, error, 'store-error', key),
    );
    // An in-process store (getSync) applies operations in call order; only remote stores can reorder them.
    if (this.#store.getSync) return;
    this.#dropping.set(key, deleted);
    void deleted.then(() => {
      if (this.#dropping.get(key) === deleted) this.#dropping.delete(key);
    });
  }

  #syncSize(space: CacheSpace): void {
    space.stats.entries = space.index.size;
    space.stats.bytes = space.index.bytes;
  }

  #storeEvicted(key: string, reason: 'lru' | 'expired'): void {
    if (!key.startsWith(ENTRY_PREFIX)) return;
    const space = this.#spaces.get(key.slice(ENTRY_PREFIX.length, key.lastIndexOf('|')));
    if (!space) return;
    if (space.index.remove(key)) this.#syncSize(space);
    this.emitEvent('evict', { cache: space.name, kind: space.kind, key, reason });
  }
}

function allTags(space: CacheSpace, tags: readonly string[]): readonly string[] {
  return tags.length === 0 ? space.tags : [...space.tags, ...tags];
}

/**
 * The tag versions an entry carries. A tag never invalidated has version '0' and is left out:
 * a missing tag reads as '0', so the check is the same and every entry is smaller.
 */
export function stampedTags(tagVersions: Record<string, string> | undefined): Record<string, string> {
  const stamped: Record<string, string> = {};
  for (const tag in tagVersions) if (tagVersions[tag] !== NO_TAG) stamped[tag] = tagVersions[tag]!;
  return stamped;
}

/** Whether every tag the reader knows is still at the version the entry was written with. */
function tagsCurrent(stamped: Record<string, string>, current: Record<string, string>): boolean {
  for (const tag in current) if ((stamped[tag] ?? NO_TAG) !== current[tag]) return false;
  return true;
}

const kindTag = (kind: string): string => `larder:${kind}`;
const spaceTag = (space: CacheSpace): string => space.tags[1]!;
const newVersion = (): string => randomBytes(8).toString('hex');

/**
 * Creates a larder: a store plus events, stats and a resource registry.
 * @example const larder = createLarder({ store: 'sqlite://./.larder/cache.sqlite' });
 */
export function createLarder(options: LarderOptions = {}): Larder {
  return new Larder(options);
}
