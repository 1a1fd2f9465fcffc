import { functionSpec, callKey, type CachedFunctionOptions } from './cached-function.js';
import { defaultLarder } from '../default-larder.js';
import { parseDuration } from '../duration.js';
import type { CacheSpace, Larder, ReadResult } from '../larder.js';
import { NEWER_PAYLOAD_VERSION } from '../store/entry.js';
import { copiesOf } from './result-copies.js';
import { deserializeResult, isJsonResult, serializeResult } from './serialize.js';
import { SingleFlight } from './single-flight.js';

/** Options of `cacheData()`. */
export interface CacheDataOptions extends CachedFunctionOptions {
  /**
   * After `ttl`, keep serving the stale value for this long while one background call refreshes it.
   * A failing refresh keeps the stale value. A duration. @default none
   */
  staleWhileRevalidate?: number | string | null;
}

/** A function wrapped by `cacheData`: same parameters, always async, plus `clear`. */
export type CachedData<F extends (...args: any[]) => any> = ((
  ...args: Parameters<F>
) => Promise<Awaited<ReturnType<F>>>) & {
  /** With arguments: drop that entry. Without: drop every entry of this function. */
  clear(...args: Partial<Parameters<F>>): Promise<void>;
};

/**
 * Caches a function's result serialized, keyed by its arguments and its code; every call gets a
 * fresh copy (the `st.cache_data` analogue). Concurrent calls with the same arguments run it once.
 * @example
 * const loadData = cacheData(async function loadData(url: string) { … }, { ttl: '1h', maxEntries: 100 });
 * const rows = await loadData(url);
 */
export function cacheData<F extends (...args: any[]) => any>(fn: F, options: CacheDataOptions = {}): CachedData<F> {
  const spec = functionSpec(fn, options, 'cacheData');
  const staleForMs = options.staleWhileRevalidate == null ? 0 : parseDuration(options.staleWhileRevalidate, 'staleWhileRevalidate');
  const larderOf = (): Larder => options.larder ?? defaultLarder();
  // A call in flight resolves to how each of its callers gets a copy of its result.
  const flights = new SingleFlight<() => unknown>();
  const refreshes = new SingleFlight<void>();

  const spaceOf = (larder: Larder): CacheSpace => larder.space(spec.id, spec.name, 'data', spec.maxEntries);

  async function compute(larder: Larder, space: CacheSpace, key: string, thisArg: unknown, args: unknown[], tagVersions: ReadResult['tagVersions']): Promise<Buffer> {
    const started = performance.now();
    let result: unknown;
    try {
      result = await fn.apply(thisArg, args);
    } catch (error) {
      space.stats.errors++;
      throw error;
    } finally {
      space.stats.computeMs += performance.now() - started;
    }
    let payload: Buffer;
    try {
      payload = serializeResult(result, spec.name);
    } catch (error) {
      space.stats.errors++;
      throw error;
    }
    const version = isJsonResult(payload) ? NEWER_PAYLOAD_VERSION : undefined;
    larder.write(space, key, payload, { freshForMs: spec.ttlMs, staleForMs, version }, tagVersions);
    return payload;
  }

  function refreshInBackground(larder: Larder, space: CacheSpace, key: string, thisArg: unknown, args: unknown[], tagVersions: ReadResult['tagVersions']): void {
    refreshes
      .run(key, async () => {
        await compute(larder, space, key, thisArg, args, tagVersions);
      })
      .catch((error: unknown) => {
        larder.emitEvent('error', { cache: spec.name, kind: 'data', key, reason: 'compute-error', error });
      });
  }

  /** Counts a hit; its event is built only for listeners (a hit is mostly this bookkeeping). */
  function hit(larder: Larder, space: CacheSpace, key: string, ageMs: number): void {
    space.stats.hits++;
    if (larder.listenerCount('hit') > 0) larder.emitEvent('hit', { cache: spec.name, kind: 'data', key, ageMs });
  }

  async function lookup(larder: Larder, space: CacheSpace, key: string, thisArg: unknown, args: unknown[], reading: ReturnType<Larder['read']>): Promise<() => unknown> {
    const read = await reading;
    if (read.state !== 'miss') {
      if (read.state === 'fresh') hit(larder, space, key, read.ageMs);
      else {
        space.stats.stale++;
        larder.emitEvent('stale', { cache: spec.name, kind: 'data', key, ageMs: read.ageMs, reason: 'stale-while-revalidate' });
        refreshInBackground(larder, space, key, thisArg, args, read.tagVersions);
      }
      const copies = copiesOf(larder);
      const { payload } = read.entry;
      return () => copies.copy(payload);
    }
    space.stats.misses++;
    const started = performance.now();
    const payload = await compute(larder, space, key, thisArg, args, read.tagVersions);
    larder.emitEvent('miss', { cache: spec.name, kind: 'data', key, reason: read.reason, durationMs: performance.now() - started });
    return () => deserializeResult(payload);
  }

  const cached = {
    async [spec.name](this: unknown, ...args: unknown[]): Promise<unknown> {
      const larder = larderOf();
      larder.assertOpen();
      const space = spaceOf(larder);
      const key = larder.entryKey(space, callKey(spec, this, args));
      const pending = flights.pending(key);
      if (pending) {
        // A call that joins one in flight gets its result without computing: it counts as a hit.
        const copy = await pending;
        hit(larder, space, key, 0);
        return copy();
      }
      const read = larder.read(space, key);
      // A fresh entry from a store that answered at once (memory): no promise beyond this function's own.
      if (!(read instanceof Promise) && read.state === 'fresh') {
        hit(larder, space, key, read.ageMs);
        return copiesOf(larder).copy(read.entry.payload);
      }
      return (await flights.run(key, () => lookup(larder, space, key, this, args, read)))();
    },
  }[spec.name] as (...args: unknown[]) => Promise<unknown>;

  return Object.assign(cached, {
    async clear(this: unknown, ...args: unknown[]): Promise<void> {
      const larder = larderOf();
      const space = spaceOf(larder);
      if (args.length === 0) return larder.clearSpace(space);
      // `loadData.clear(url)` is called on the wrapper: that is not a method receiver of `fn`.
      const thisArg = this === cached ? undefined : this;
      return larder.forget(space, larder.entryKey(space, callKey(spec, thisArg, args)));
    },
  }) as unknown as CachedData<F>;
}

/** Drops every `cacheData` entry of the default larder (or of `larder`), in every process sharing its store. */
cacheData.clear = function clear(larder: Larder = defaultLarder()): Promise<void> {
  return larder.clearKind('data');
};
