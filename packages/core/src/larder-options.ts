import { systemClock, type Clock } from './clock.js';
import { parseDuration } from './duration.js';
import { BadOptionError } from './errors.js';
import { checkOptions } from './options.js';
import { DEFAULT_LEASE_MS, parseLease } from './store/lease.js';
import { DEFAULT_NEAR_CACHE_BYTES } from './store/near-cache.js';
import type { StoreOption } from './store/backends/resolve-store.js';

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
   * SQLite and Redis stores: most bytes of entries kept in process as a near cache (LRU), 0 for none.
   * On Redis 6+ the server pushes an invalidation when a copied entry or tag changes, so a hit makes no
   * round trip; elsewhere every read still checks the store (tag versions and the entry's fingerprint,
   * one round trip). Either way invalidation and other processes' writes are seen. @default 32 MiB
   */
  nearCacheBytes?: number;
  /**
   * SQLite and Redis stores: concurrent misses of one key in every process sharing the store compute
   * once. The first takes a lease in the store and computes; the others wait for its entry, and run
   * themselves if it has not come when the lease lapses (a leader that died). A duration (numbers are
   * seconds), or `false` for none. Overridden per `cached()`, `cacheData()` and `cacheResource()`.
   * @default '10s'
   * @example createLarder({ store: 'redis://cache:6379', lease: '30s' })
   */
  lease?: number | string | false;
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

/** Every option of `createLarder()` and `configure()`. */
export const LARDER_OPTIONS = [
  'store', 'maxEntries', 'maxBytes', 'nearCacheBytes', 'storeTimeout', 'clock', 'namespace', 'lease',
] as const satisfies ReadonlyArray<keyof LarderOptions>;

/** {@link LarderOptions} validated, with their defaults filled in: what a larder runs with. */
export interface LarderSettings {
  readonly clock: Clock;
  readonly storeTimeoutMs: number;
  /** The `store` option, or `LARDER_STORE` when it is not given. */
  readonly store: StoreOption | undefined;
  /** Whether the store is this larder's own memory store, which nothing else can write to. */
  readonly ownStore: boolean;
  readonly maxEntries: number | undefined;
  readonly maxBytes: number | undefined;
  readonly nearCacheBytes: number;
  /** undefined: the default (`larder`), or what the store URL's `?namespace=` says. */
  readonly namespace: string | undefined;
  /** Milliseconds; 0 for no leases. */
  readonly leaseMs: number;
}

const DEFAULT_STORE_TIMEOUT_MS = 100;

/**
 * Validates and normalizes the options of `createLarder()` and `configure()`, without touching them.
 * @throws BadOptionError naming the option, with a valid example.
 */
export function larderSettings(input: LarderOptions | undefined, factory: 'createLarder' | 'configure' = 'createLarder'): LarderSettings {
  const options = checkOptions(input, { factory, known: LARDER_OPTIONS, example: `${factory}({ store: 'sqlite://./.larder/cache.sqlite' })` });
  const clock = options.clock ?? systemClock;
  if (clock === null || typeof clock !== 'object' || typeof clock.now !== 'function') {
    throw new BadOptionError('clock', 'expected an object with a now() method', '{ clock: { now: () => Date.now() } }');
  }
  for (const option of ['maxEntries', 'maxBytes'] as const) {
    const value = options[option];
    if (value !== undefined && !(Number.isInteger(value) && value > 0) && value !== Infinity) {
      throw new BadOptionError(option, `expected a positive integer, got ${String(value)}`, `{ ${option}: 1000 }`);
    }
  }
  const nearCacheBytes = options.nearCacheBytes ?? DEFAULT_NEAR_CACHE_BYTES;
  if (!(Number.isInteger(nearCacheBytes) && nearCacheBytes >= 0)) {
    throw new BadOptionError('nearCacheBytes', `expected a whole number of bytes (0 turns the near cache off), got ${String(options.nearCacheBytes)}`, '{ nearCacheBytes: 64 * 1024 * 1024 }');
  }
  const storeTimeoutMs = options.storeTimeout === undefined ? DEFAULT_STORE_TIMEOUT_MS : parseDuration(options.storeTimeout, 'storeTimeout');
  const store = options.store ?? process.env.LARDER_STORE;
  return {
    clock,
    storeTimeoutMs,
    store,
    ownStore: store === undefined || store === 'memory://',
    maxEntries: options.maxEntries,
    maxBytes: options.maxBytes,
    nearCacheBytes,
    namespace: options.namespace,
    leaseMs: options.lease === undefined ? DEFAULT_LEASE_MS : parseLease(options.lease, "createLarder({ lease: '30s' })"),
  };
}
