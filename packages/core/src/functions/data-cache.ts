import { callKey, FUNCTION_OPTIONS, functionSpec, isMethodReceiver, type CachedFunctionOptions } from './cached-function.js';
import { callTags, type FunctionTags } from './call-tags.js';
import { defaultLarder } from '../default-larder.js';
import { parseDuration } from '../duration.js';
import type { CacheSpace, FreshnessLimits, Larder, ReadResult } from '../larder.js';
import { NEWER_PAYLOAD_VERSION, PATCHED_PAYLOAD_VERSION } from '../store/entry.js';
import { copiesOf } from './result-copies.js';
import { deserializeResult, isJsonResult, isPlainV8Result, serializeResult } from './serialize.js';
import { SingleFlight } from './single-flight.js';

type FreshRead = Extract<ReadResult, { state: 'fresh' }>;

/** Options of `cacheData()`. */
export interface CacheDataOptions<Args extends readonly unknown[] = any[]> extends CachedFunctionOptions {
  /**
   * After `ttl`, keep serving the stale value for this long while one background call refreshes it.
   * A failing refresh keeps the stale value. A duration. @default none
   */
  staleWhileRevalidate?: number | string | null;
  /**
   * Tags for `larder.invalidate()`: a list, or computed from the arguments. Invalidating a tag drops
   * the entries written with it in every process sharing the store.
   * @example cacheData(async function loadUser(id: number) { … }, { tags: (id) => ['users', `user:${id}`] })
   */
  tags?: FunctionTags<Args>;
}

const DATA_OPTIONS = [...FUNCTION_OPTIONS, 'staleWhileRevalidate', 'tags'] as const satisfies ReadonlyArray<keyof CacheDataOptions>;

/** A function wrapped by `cacheData`: same parameters, always async, plus `clear`. */
export type CachedData<F extends (...args: any[]) => any> = ((
  ...args: Parameters<F>
) => Promise<Awaited<ReturnType<F>>>) & {
  /**
   * With arguments: drop that entry. Without: drop every entry of this function. For a method,
   * `instance.method.clear(arg)` drops the entries for `arg` of every instance (the wrapper cannot
   * see which instance it was read from); `instance.method.clear.call(instance, arg)` drops one.
   */
  clear(...args: Partial<Parameters<F>>): Promise<void>;
};

/**
 * The calls in flight of one function in one larder. Kept per space, not per wrapper: a wrapper
 * created again at the same place (per request) joins the calls of the first. A call in flight
 * resolves to how each of its callers gets a copy of its result.
 */
interface Flights {
  readonly calls: SingleFlight<() => unknown>;
  readonly refreshes: SingleFlight<void>;
}
const flightsBySpace = new WeakMap<CacheSpace, Flights>();

function flightsOf(space: CacheSpace): Flights {
  let flights = flightsBySpace.get(space);
  if (!flights) flightsBySpace.set(space, (flights = { calls: new SingleFlight(), refreshes: new SingleFlight() }));
  return flights;
}

const NO_TAGS: readonly string[] = [];

/**
 * The tag every method-call entry carries and `instance.method.clear(arg)` moves: all entries of
 * `space` for these arguments, whatever `this`, in every process sharing the store.
 */
const argumentsTag = (space: CacheSpace, argsHash: string): string => `larder:args:${space.id}:${argsHash}`;

/**
 * Caches a function's result serialized, keyed by its module, name, code and arguments; every call gets
 * a fresh copy (the `st.cache_data` analogue). Concurrent calls with the same arguments run it once.
 * @example
 * const loadData = cacheData(async function loadData(url: string) { … }, { ttl: '1h', maxEntries: 100 });
 * const rows = await loadData(url);
 */
export function cacheData<F extends (...args: any[]) => any>(fn: F, options?: CacheDataOptions<Parameters<F>>): CachedData<F> {
  const spec = functionSpec(fn, options, { name: 'cacheData', fn: cacheData, known: DATA_OPTIONS });
  const staleForMs = options?.staleWhileRevalidate == null ? 0 : parseDuration(options.staleWhileRevalidate, 'staleWhileRevalidate');
  const limits: FreshnessLimits = { freshMs: spec.ttlMs, staleMs: staleForMs };
  const tagsOf = callTags(options?.tags);
  const larderOf = (): Larder => spec.larder ?? defaultLarder();
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
    // JSON text and patched results are unknown to Larders before them: a newer envelope makes those read a miss.
    const version = isPlainV8Result(payload) ? undefined : isJsonResult(payload) ? NEWER_PAYLOAD_VERSION : PATCHED_PAYLOAD_VERSION;
    larder.write(space, key, payload, { freshForMs: spec.ttlMs, staleForMs, version }, tagVersions);
    return payload;
  }

  /** The entry if it is fresh now (read as the call reads it): what a process waiting for another's computation looks for. */
  async function freshEntry(reread: () => ReturnType<Larder['read']>): Promise<FreshRead | undefined> {
    const read = await reread();
    return read.state === 'fresh' ? read : undefined;
  }

  function refreshInBackground(larder: Larder, space: CacheSpace, key: string, thisArg: unknown, args: unknown[], tagVersions: ReadResult['tagVersions'], reread: () => ReturnType<Larder['read']>): void {
    flightsOf(space)
      .refreshes.run(key, async () => {
        // One process of the fleet refreshes; the others keep serving the stale value meanwhile.
        const turn = await larder.refreshTurn(key, spec.leaseMs, () => freshEntry(reread));
        if (!turn) return;
        let stored = false;
        try {
          stored = (await compute(larder, space, key, thisArg, args, tagVersions)) !== undefined;
        } finally {
          turn.release(stored);
        }
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

  /** `reread`: the same read again (its tags and limits), for a wait on another process. */
  async function lookup(larder: Larder, space: CacheSpace, key: string, thisArg: unknown, args: unknown[], reading: ReturnType<Larder['read']>, reread: () => ReturnType<Larder['read']>): Promise<() => unknown> {
    const read = await reading;
    if (read.state !== 'miss') {
      if (read.state === 'fresh') hit(larder, space, key, read.ageMs);
      else {
        space.stats.stale++;
        larder.emitEvent('stale', { cache: spec.name, kind: 'data', key, ageMs: read.ageMs, reason: 'stale-while-revalidate' });
        refreshInBackground(larder, space, key, thisArg, args, read.tagVersions, reread);
      }
      const copies = copiesOf(larder);
      const { payload } = read.entry;
      return () => copies.copy(payload);
    }
    // Another process sharing the store may be computing it already: wait for its entry (store/lease.ts).
    const turn = await larder.lead(key, read, spec.leaseMs, () => freshEntry(reread));
    if (turn.kind === 'found') {
      hit(larder, space, key, turn.value.ageMs);
      const copies = copiesOf(larder);
      const { payload } = turn.value.entry;
      return () => copies.copy(payload);
    }
    space.stats.misses++;
    const started = performance.now();
    let payload: Buffer | undefined;
    try {
      payload = await compute(larder, space, key, thisArg, args, read.tagVersions);
    } finally {
      turn.release(payload !== undefined);
    }
    larder.emitEvent('miss', { cache: spec.name, kind: 'data', key, reason: read.reason, durationMs: performance.now() - started });
    const computed = payload;
    return () => deserializeResult(computed);
  }

  const cached = {
    async [spec.name](this: unknown, ...args: unknown[]): Promise<unknown> {
      const larder = larderOf();
      larder.assertOpen();
      const space = spaceOf(larder);
      const call = callKey(spec, this, args);
      const key = larder.entryKey(space, call.key);
      const flights = flightsOf(space).calls;
      const pending = flights.pending(key);
      if (pending) {
        // A call that joins one in flight gets its result without computing: it counts as a hit.
        const copy = await pending;
        hit(larder, space, key, 0);
        return copy();
      }
      const own = call.method ? [argumentsTag(space, call.argsHash)] : NO_TAGS;
      const tags = tagsOf ? [...tagsOf(this, args), ...own] : own;
      const read = larder.read(space, key, tags, limits);
      // A fresh entry from a store that answered at once (memory): no promise beyond this function's own.
      if (!(read instanceof Promise) && read.state === 'fresh') {
        hit(larder, space, key, read.ageMs);
        return copiesOf(larder).copy(read.entry.payload);
      }
      const reread = () => larder.read(space, key, tags, limits);
      return (await flights.run(key, () => lookup(larder, space, key, this, args, read, reread)))();
    },
  }[spec.name] as (...args: unknown[]) => Promise<unknown>;

  return Object.assign(cached, {
    async clear(this: unknown, ...args: unknown[]): Promise<void> {
      const larder = larderOf();
      const space = spaceOf(larder);
      if (args.length === 0) return larder.clearSpace(space);
      // `loadData.clear(url)` is called on the wrapper: that is not a method receiver of `fn`.
      const receiver = this === cached ? undefined : this;
      const call = callKey(spec, receiver, args);
      const forget = larder.forget(space, larder.entryKey(space, call.key));
      if (!spec.readsThis || isMethodReceiver(receiver)) return forget;
      // `instance.method.clear(arg)`: the instance is unknown here, so the entries for `arg` go for every instance.
      await Promise.all([forget, larder.invalidate(argumentsTag(space, call.argsHash))]);
    },
  }) as unknown as CachedData<F>;
}

/** Drops every `cacheData` entry of the default larder (or of `larder`), in every process sharing its store. */
cacheData.clear = function clear(larder: Larder = defaultLarder()): Promise<void> {
  return larder.clearKind('data');
};
