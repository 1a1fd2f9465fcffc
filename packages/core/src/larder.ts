import { EventEmitter } from 'node:events';
import { allTags, CacheSpaces, entryKey, SHARED_STORE_TRACKED_KEYS, spaceTag, syncSize, type CacheSpace } from './store/cache-space.js';
import type { Clock } from './clock.js';
import { Leases, RUN, type FleetLead, type FleetTurn } from './store/lease.js';
import { NearCache } from './store/near-cache.js';
import { NearTracking } from './store/near-tracking.js';
import { EntryAccess, type FreshnessLimits, type ReadResult, type WriteSpec } from './store/entry-access.js';
import type { Entry } from './store/entry.js';
import { BadOptionError, ResourceError } from './errors.js';
import type { LarderEvent, LarderEventName, LarderReason } from './events.js';
import { larderSettings, type LarderOptions } from './larder-options.js';
import { ResourceRegistry } from './functions/registry.js';
import { RecentReasons, type RecentReason } from './recent-reasons.js';
import { StatsBook, type CacheStats } from './stats.js';
import { resolveStore } from './store/backends/resolve-store.js';
import { kindTag, TagVersions } from './store/tags.js';

export type { CacheSpace } from './store/cache-space.js';
export type { FreshnessLimits, ReadResult, WriteSpec } from './store/entry-access.js';
export type { LarderOptions } from './larder-options.js';

/**
 * A larder: one store, its events and stats, and a registry of app-wide resources.
 * `createLarder()` makes one; the default one is configured with `configure()`.
 */
export class Larder extends EventEmitter {
  /** App-wide resources by name (database pools, clients, models). */
  readonly resources: ResourceRegistry;
  readonly #stats = new StatsBook();
  readonly #spaces = new CacheSpaces(this.#stats);
  readonly #recent = new RecentReasons();
  readonly #entries = new EntryAccess((name, event) => this.emitEvent(name, event));
  readonly #closers = new Set<() => Promise<void> | void>();
  /** Event names whose throwing listener was warned about (a handful at most: one per event name). */
  readonly #listenerWarned = new Set<LarderEventName>();
  #closing: Promise<void> | undefined;
  /** Leases on a shared store (undefined on the memory store), and their default length (0: none). */
  #leases: Leases | undefined;
  #leaseMs = 0;

  constructor(options?: LarderOptions, factory: 'createLarder' | 'configure' = 'createLarder') {
    super();
    this.resources = new ResourceRegistry(this);
    this.#apply(options, factory);
  }

  /** The time source every TTL of this larder is measured with. */
  get clock(): Clock {
    return this.#entries.clock;
  }

  /** The store backend (`memory`, `sqlite`, `redis`, `keyv`). */
  get storeKind(): string {
    return this.#entries.store.kind;
  }

  /** @internal How long a store operation may take before it counts as failed (`storeTimeout`). */
  get storeTimeoutMs(): number {
    return this.#entries.storeTimeoutMs;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Replaces the store and settings in place (used by `configure()` on the default larder). */
  reconfigure(options: LarderOptions): void {
    this.#assertOpen();
    const previous = this.#entries.store;
    this.#apply(options, 'configure');
    this.#spaces.empty();
    previous.close().catch((error: unknown) => this.#emitError('larder', 'data', error, 'store-error'));
  }

  #apply(options: LarderOptions | undefined, factory: 'createLarder' | 'configure'): void {
    const settings = larderSettings(options, factory);
    // Resolve the store first: a bad `store` must leave a reconfigured larder exactly as it was.
    const store = resolveStore(settings.store, {
      maxEntries: settings.maxEntries,
      maxBytes: settings.maxBytes,
      clock: settings.clock,
      namespace: settings.namespace,
      onEvict: (key, reason) => this.#storeEvicted(key, reason),
    });
    const entries = this.#entries;
    this.#spaces.trackLimit = settings.ownStore ? Infinity : SHARED_STORE_TRACKED_KEYS;
    entries.clock = settings.clock;
    entries.storeTimeoutMs = settings.storeTimeoutMs;
    entries.tags = new TagVersions(settings.ownStore);
    entries.near = new NearCache(settings.nearCacheBytes);
    entries.tracked = store.tracking ? new NearTracking(store.tracking, entries.near) : undefined;
    entries.store = store;
    this.#leaseMs = settings.leaseMs;
    this.#leases = store.leases && new Leases(store.leases, {
      timeoutMs: settings.storeTimeoutMs,
      settled: (key) => entries.settled(key),
      onError: (key, error) => {
        if (this.closed) return;
        const space = this.#spaces.ofKey(key);
        if (space) space.stats.errors++;
        this.#emitError(space?.name ?? 'larder', space?.kind ?? 'data', error, 'lease-error', key);
      },
    });
  }

  /** Per-function and per-route counters: hits, misses, stale hits, errors, entries, bytes and compute time. */
  stats(): Record<string, CacheStats> {
    // Entries a shared store expired by itself no longer count (nothing told this process).
    this.#spaces.prune(this.clock.now());
    return this.#stats.snapshot();
  }

  /**
   * Drops every entry written with these tags, in every process that shares the store:
   * each tag's version moves on, and entries carrying the old version read as misses.
   * Settles within `storeTimeout`; rejects with a `StoreError` (`ERR_LARDER_STORE`) when the store
   * failed or did not answer.
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

  /**
   * Drops every cached entry (data and HTTP) in the store. Resources are not touched. A computation
   * that was in flight during the clear cannot store its pre-clear result afterwards. Settles within
   * `storeTimeout`; rejects with a `StoreError` when the store failed or did not answer.
   */
  async clear(): Promise<void> {
    this.#assertOpen();
    this.#spaces.empty();
    const entries = this.#entries;
    entries.clearNear();
    await entries.bounded('clear', async () => {
      await entries.store.clear();
      // Writes of computations that read before the clear land after it, stamped with the tag versions
      // they read (which the clear reset): moving both kind tags makes every such entry read as invalidated.
      await Promise.all([kindTag('data'), kindTag('http')].map((tag) => entries.bumpTag(tag)));
    });
  }

  /**
   * Releases every resource (reverse creation order; one that throws does not stop the others: its
   * error is an `error` event), then closes the store. Idempotent. Rejects with a `StoreError` when
   * the store did not close within `storeTimeout`.
   */
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
      for (const error of errors) this.#emitError('larder', 'resource', error, 'released');
      await this.#entries.bounded('close', async () => {
        await this.#leases?.drain();
        await this.#entries.store.close();
      });
    })();
    return this.#closing;
  }

  // ---- engine API: used by cacheData, cacheResource and the HTTP module -------------------------

  /** @internal Registers (or finds) the space of a cached function or route. */
  space(id: string, name: string, kind: 'data' | 'http', maxEntries = Infinity): CacheSpace {
    return this.#spaces.get(id, name, kind, maxEntries);
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
    return entryKey(space, hash);
  }

  /**
   * @internal Reads an entry and the versions of its tags in one round trip. Never rejects:
   * store failures, timeouts and corrupt entries are misses (with an `error` event).
   * Answers synchronously when the store can (memory), to keep hits off the promise queue. `limits`
   * are the reader's current freshness rules, applied besides the expiry the entry was written with.
   */
  read(space: CacheSpace, key: string, tags: readonly string[] = [], limits?: FreshnessLimits): ReadResult | Promise<ReadResult> {
    if (this.closed) return { state: 'miss', reason: 'store-error', tagVersions: undefined };
    return this.#entries.read(space, key, allTags(space, tags), limits);
  }

  /**
   * @internal Stores an entry in the background: never awaited by a caller, never throws. Returns
   * the entry as encoded (its payload a view of the encoded bytes) whether or not it is stored, so
   * that callers waiting for the same computation can use it while the store is down.
   * Without the tag versions of a successful read the write is skipped — an entry stamped with
   * guessed versions could survive an invalidation it never saw.
   */
  write(space: CacheSpace, key: string, payload: Buffer | readonly Buffer[], spec: WriteSpec, tagVersions: Record<string, string> | undefined): Entry {
    if (this.closed || tagVersions === undefined) return this.#entries.encode(space, payload, spec, tagVersions).entry;
    return this.#entries.write(space, key, payload, spec, tagVersions);
  }

  /**
   * @internal A miss on `key`, coordinated with every process sharing the store (store/lease.ts): lead
   * (compute, then `release()` once the entry is written or known unstorable), or use the entry another
   * process stored, as `probe` finds it. `leaseMs`: the caller's `lease` (undefined: the larder's; 0: none).
   * Without a lease to take (memory store, no lease, or `read` failed: the store is down) it leads at once.
   */
  lead<T>(key: string, read: ReadResult, leaseMs: number | undefined, probe: () => Promise<T | undefined>): FleetLead | Promise<FleetTurn<T>> {
    const ms = leaseMs ?? this.#leaseMs;
    if (!this.#leases || ms === 0 || read.tagVersions === undefined || this.closed) return RUN;
    return this.#leases.turn(key, ms, probe);
  }

  /**
   * @internal A staleWhileRevalidate refresh of `key`: the lease, so that one process of the fleet refreshes,
   * or undefined when another holds it (or `probe` finds a newer entry). Always granted without leases.
   */
  refreshTurn<T>(key: string, leaseMs: number | undefined, probe: () => Promise<T | undefined>): FleetLead | undefined | Promise<FleetLead | undefined> {
    const ms = leaseMs ?? this.#leaseMs;
    if (!this.#leases || ms === 0 || this.closed) return RUN;
    return this.#leases.refresh(key, ms, probe);
  }

  /** @internal Deletes one entry (per-argument `clear`). */
  async forget(space: CacheSpace, key: string): Promise<void> {
    this.#assertOpen();
    space.index.remove(key);
    syncSize(space);
    await this.#entries.forget(key);
  }

  /** @internal Drops every entry of one function or route, in every process sharing the store. */
  async clearSpace(space: CacheSpace): Promise<void> {
    this.#assertOpen();
    const keys = space.index.keys();
    space.index.clear();
    syncSize(space);
    await Promise.all([
      this.#bumpTag(spaceTag(space)),
      ...keys.map((key) => this.#entries.forget(key)),
    ]);
  }

  /** @internal Drops every entry of one kind (`cacheData.clear()`), in every process sharing the store. */
  async clearKind(kind: 'data' | 'http'): Promise<void> {
    this.#assertOpen();
    const deletes: Array<Promise<boolean>> = [];
    for (const space of this.#spaces.values()) {
      if (space.kind !== kind) continue;
      for (const key of space.index.keys()) deletes.push(this.#entries.forget(key));
      space.index.clear();
      syncSize(space);
    }
    await Promise.all([this.#bumpTag(kindTag(kind)), ...deletes]);
  }

  #bumpTag(tag: string): Promise<void> {
    return this.#entries.bounded('invalidate', () => this.#entries.bumpTag(tag));
  }

  /** @internal The last reasons of misses, bypasses and errors of one function or route, newest first. */
  recentReasons(cache: string): RecentReason[] {
    return this.#recent.of(cache);
  }

  /**
   * @internal Drops every entry of the functions or routes of this kind named `name` (one name may
   * cover several spaces, e.g. two versions of its code). Resolves to how many spaces were cleared.
   */
  async clearNamed(kind: 'data' | 'http', name: string): Promise<number> {
    this.#assertOpen();
    const spaces = [...this.#spaces.values()].filter((space) => space.kind === kind && space.name === name);
    await Promise.all(spaces.map((space) => this.clearSpace(space)));
    return spaces.length;
  }

  /**
   * @internal Emits an event to every listener. Never throws: a listener that throws (or rejects)
   * neither stops the others nor reaches the cache's own work (a request, a lock); its error becomes
   * an `error` event, or a one-time warning when it was an `error` listener or nobody listens.
   */
  emitEvent(name: LarderEventName, event: LarderEvent): void {
    if ((name === 'miss' || name === 'bypass' || name === 'error') && event.reason !== undefined) {
      this.#recent.note(event.cache, name, event.reason, this.#entries.clock.now());
    }
    if (this.listenerCount(name) === 0) return;
    for (const listener of this.rawListeners(name) as Array<(event: LarderEvent) => unknown>) {
      try {
        const result = listener.call(this, event);
        if (isThenable(result)) result.then(undefined, (error: unknown) => this.#listenerFailed(name, event, error));
      } catch (error) {
        this.#listenerFailed(name, event, error);
      }
    }
  }

  #listenerFailed(name: LarderEventName, event: LarderEvent, error: unknown): void {
    if (name !== 'error' && this.listenerCount('error') > 0) {
      this.emitEvent('error', { cache: event.cache, kind: event.kind, key: event.key, reason: 'listener-error', error });
      return;
    }
    if (this.#listenerWarned.has(name)) return;
    this.#listenerWarned.add(name);
    process.emitWarning(`A listener of the larder's '${name}' event threw: ${error instanceof Error ? error.message : String(error)}. Larder went on; fix the listener.`, { code: 'LARDER_LISTENER_ERROR' });
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

  #storeEvicted(key: string, reason: 'lru' | 'expired'): void {
    const space = this.#spaces.ofKey(key);
    if (!space) return;
    if (space.index.remove(key)) syncSize(space);
    this.emitEvent('evict', { cache: space.name, kind: space.kind, key, reason });
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * Creates a larder: a store plus events, stats and a resource registry.
 * @example const larder = createLarder({ store: 'sqlite://./.larder/cache.sqlite' });
 */
export function createLarder(options?: LarderOptions): Larder {
  return new Larder(options);
}
