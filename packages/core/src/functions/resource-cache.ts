import { functionSpec, callKey, type CachedFunctionOptions } from './cached-function.js';
import { defaultLarder } from '../default-larder.js';
import type { Larder } from '../larder.js';
import { markResource } from '../hash/resource-identity.js';
import { SingleFlight } from './single-flight.js';
import type { CacheStats } from '../stats.js';

/** Options of `cacheResource()`. */
export interface CacheResourceOptions<T> extends CachedFunctionOptions {
  /** Called on every hit (never on a fresh creation); `false` releases the value and creates a new one. */
  validate?: (value: T) => boolean | Promise<boolean>;
  /** Called exactly once per value when it leaves the cache: eviction, expiry, validate failure, clear, close. */
  onRelease?: (value: T) => unknown;
}

/** A function wrapped by `cacheResource`: same parameters, always async, plus `clear`. */
export type CachedResource<F extends (...args: any[]) => any> = ((
  ...args: Parameters<F>
) => Promise<Awaited<ReturnType<F>>>) & {
  /** With arguments: release that value. Without: release every value of this function. */
  clear(...args: Partial<Parameters<F>>): Promise<void>;
};

interface Held {
  key: string;
  value: unknown;
  createdAt: number;
  released: boolean;
}

/** The live values of one cacheResource function in one larder, in LRU order. */
class ResourceTable {
  readonly held = new Map<string, Held>();
  readonly flights = new SingleFlight<unknown>();

  constructor(
    readonly larder: Larder,
    readonly name: string,
    readonly stats: CacheStats,
    private readonly onRelease: ((value: any) => unknown) | undefined,
  ) {}

  async release(held: Held, reason: string): Promise<void> {
    if (held.released) return;
    held.released = true;
    if (this.held.get(held.key) === held) this.held.delete(held.key);
    this.stats.entries = this.held.size;
    this.larder.emitEvent('evict', { cache: this.name, kind: 'resource', key: held.key, reason });
    await this.onRelease?.(held.value);
  }

  /** Releases a value on Larder's own initiative (expiry, eviction, validate): an `onRelease` that throws is an `error` event. */
  async releaseQuietly(held: Held, reason: string): Promise<void> {
    await this.release(held, reason).catch((error: unknown) =>
      this.larder.emitEvent('error', { cache: this.name, kind: 'resource', key: held.key, reason: 'released', error }),
    );
  }

  /** Releases every value, newest first; one `onRelease` that throws does not stop the others. */
  async releaseAll(reason: string): Promise<void> {
    const errors: unknown[] = [];
    for (const held of [...this.held.values()].reverse()) await this.release(held, reason).catch((error: unknown) => errors.push(error));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} onRelease calls of ${this.name} threw`);
  }
}

/**
 * Keeps one shared instance per arguments (the `st.cache_resource` analogue): database pools,
 * clients, models. Every caller gets the same object; creation is single-flight.
 * @example const model = cacheResource(async () => loadModel(), { onRelease: (m) => m.dispose() });
 */
export function cacheResource<F extends (...args: any[]) => any>(
  fn: F,
  options: CacheResourceOptions<Awaited<ReturnType<F>>> = {},
): CachedResource<F> {
  const spec = functionSpec(fn, options, 'cacheResource');
  const { validate, onRelease } = options;
  for (const [hook, value] of [['validate', validate], ['onRelease', onRelease]] as const) {
    if (value !== undefined && typeof value !== 'function') {
      throw new TypeError(`cacheResource option '${hook}' must be a function, e.g. { ${hook}: (value) => … }`);
    }
  }
  const tables = new WeakMap<Larder, ResourceTable>();

  function tableOf(larder: Larder): ResourceTable {
    let table = tables.get(larder);
    if (!table) {
      const created = new ResourceTable(larder, spec.name, larder.resourceStats(spec.name), onRelease);
      larder.onClose(() => created.releaseAll('released'));
      tables.set(larder, created);
      table = created;
    }
    return table;
  }

  const expired = (larder: Larder, held: Held): boolean =>
    spec.ttlMs !== Infinity && larder.clock.now() - held.createdAt >= spec.ttlMs;

  async function sweepExpired(table: ResourceTable): Promise<void> {
    for (const held of [...table.held.values()]) {
      if (expired(table.larder, held)) await table.releaseQuietly(held, 'expired');
    }
  }

  async function obtain(table: ResourceTable, key: string, thisArg: unknown, args: unknown[]): Promise<unknown> {
    await sweepExpired(table);
    const existing = table.held.get(key);
    if (existing) {
      if (!validate || (await validate(existing.value as Awaited<ReturnType<F>>))) {
        table.held.delete(key);
        table.held.set(key, existing);
        table.stats.hits++;
        table.larder.emitEvent('hit', { cache: spec.name, kind: 'resource', key, ageMs: table.larder.clock.now() - existing.createdAt });
        return existing.value;
      }
      await table.releaseQuietly(existing, 'validate-failed');
    }
    table.stats.misses++;
    const started = performance.now();
    let value: unknown;
    try {
      value = await fn.apply(thisArg, args);
    } catch (error) {
      table.stats.errors++;
      throw error;
    } finally {
      table.stats.computeMs += performance.now() - started;
    }
    if (table.larder.closed) {
      // close() already released what it held; this value never entered the cache, so nothing else would.
      try {
        await onRelease?.(value as Awaited<ReturnType<F>>);
      } finally {
        table.larder.assertOpen();
      }
    }
    markResource(value, `resource:${spec.id}|${key}`);
    table.held.set(key, { key, value, createdAt: table.larder.clock.now(), released: false });
    table.stats.entries = table.held.size;
    table.larder.emitEvent('miss', { cache: spec.name, kind: 'resource', key, durationMs: performance.now() - started });
    while (table.held.size > spec.maxEntries) {
      const oldest = table.held.values().next().value as Held;
      await table.releaseQuietly(oldest, 'max-entries');
    }
    return value;
  }

  const cached = {
    async [spec.name](this: unknown, ...args: unknown[]): Promise<unknown> {
      const larder = options.larder ?? defaultLarder();
      larder.assertOpen();
      const table = tableOf(larder);
      const key = callKey(spec, this, args);
      const held = table.held.get(key);
      // The common hit needs no promise chain of its own beyond the async function's.
      if (held && !validate && !expired(larder, held)) {
        // Move it to the most recently used end, or maxEntries would evict in creation order.
        table.held.delete(key);
        table.held.set(key, held);
        table.stats.hits++;
        if (larder.listenerCount('hit') > 0) larder.emitEvent('hit', { cache: spec.name, kind: 'resource', key, ageMs: larder.clock.now() - held.createdAt });
        return held.value;
      }
      return table.flights.run(key, () => obtain(table, key, this, args));
    },
  }[spec.name] as (...args: unknown[]) => Promise<unknown>;

  return Object.assign(cached, {
    async clear(this: unknown, ...args: unknown[]): Promise<void> {
      const table = tableOf(options.larder ?? defaultLarder());
      if (args.length === 0) return table.releaseAll('cleared');
      // `getClient.clear(url)` is called on the wrapper: that is not a method receiver of `fn`.
      const held = table.held.get(callKey(spec, this === cached ? undefined : this, args));
      if (held) await table.release(held, 'cleared');
    },
  }) as unknown as CachedResource<F>;
}
