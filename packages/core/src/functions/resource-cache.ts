import { callKey, FUNCTION_OPTIONS, functionSpec, isMethodReceiver, type CachedFunctionOptions } from './cached-function.js';
import { defaultLarder } from '../default-larder.js';
import { BadOptionError } from '../errors.js';
import type { Larder } from '../larder.js';
import { markResource } from '../hash/resource-identity.js';
import { ResourceTable, resourceTables, type Held } from './resource-table.js';

/** Options of `cacheResource()`. */
export interface CacheResourceOptions<T> extends CachedFunctionOptions {
  /** Called on every hit (never on a fresh creation); `false` releases the value and creates a new one. */
  validate?: (value: T) => boolean | Promise<boolean>;
  /** Called exactly once per value when it leaves the cache: eviction, expiry, validate failure, clear, close. */
  onRelease?: (value: T) => unknown;
}

const RESOURCE_OPTIONS = [...FUNCTION_OPTIONS, 'validate', 'onRelease'] as const satisfies ReadonlyArray<keyof CacheResourceOptions<unknown>>;

/** A function wrapped by `cacheResource`: same parameters, always async, plus `clear`. */
export type CachedResource<F extends (...args: any[]) => any> = ((
  ...args: Parameters<F>
) => Promise<Awaited<ReturnType<F>>>) & {
  /**
   * With arguments: release that value. Without: release every value of this function. For a method,
   * `instance.method.clear(arg)` releases the values for `arg` of every instance.
   */
  clear(...args: Partial<Parameters<F>>): Promise<void>;
};

/**
 * Keeps one shared instance per arguments (the `st.cache_resource` analogue): database pools,
 * clients, models. Every caller gets the same object; creation is single-flight. A wrapper created
 * again at the same place (inside a function, per request) shares the instances of the first.
 * @example const model = cacheResource(async () => loadModel(), { onRelease: (m) => m.dispose() });
 */
export function cacheResource<F extends (...args: any[]) => any>(
  fn: F,
  options?: CacheResourceOptions<Awaited<ReturnType<F>>>,
): CachedResource<F> {
  const spec = functionSpec(fn, options, { name: 'cacheResource', fn: cacheResource, known: RESOURCE_OPTIONS });
  const validate = options?.validate;
  const onRelease = options?.onRelease;
  for (const [hook, value] of [['validate', validate], ['onRelease', onRelease]] as const) {
    if (value !== undefined && typeof value !== 'function') {
      throw new BadOptionError(hook, 'expected a function', `cacheResource(fn, { ${hook}: (value) => … })`);
    }
  }

  /** This function's table in `larder`, shared with every wrapper of the same identity. */
  const tableOf = (larder: Larder): ResourceTable =>
    resourceTables(larder).table(spec.id, () => new ResourceTable(larder, spec.name, larder.resourceStats(spec.name), onRelease));

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
        table.touch(existing);
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
        await table.onRelease?.(value);
      } finally {
        table.larder.assertOpen();
      }
    }
    markResource(value, `resource:${spec.id}|${key}`);
    table.add({ key, value, createdAt: table.larder.clock.now(), released: false });
    table.larder.emitEvent('miss', { cache: spec.name, kind: 'resource', key, durationMs: performance.now() - started });
    while (table.held.size > spec.maxEntries) {
      const oldest = table.held.values().next().value as Held;
      await table.releaseQuietly(oldest, 'max-entries');
    }
    return value;
  }

  const cached = {
    async [spec.name](this: unknown, ...args: unknown[]): Promise<unknown> {
      const larder = spec.larder ?? defaultLarder();
      larder.assertOpen();
      const table = tableOf(larder);
      const key = callKey(spec, this, args).key;
      const held = table.held.get(key);
      // The common hit needs no promise chain of its own beyond the async function's.
      if (held && !validate && !expired(larder, held)) {
        table.touch(held);
        table.stats.hits++;
        if (larder.listenerCount('hit') > 0) larder.emitEvent('hit', { cache: spec.name, kind: 'resource', key, ageMs: larder.clock.now() - held.createdAt });
        return held.value;
      }
      return table.flights.run(key, () => obtain(table, key, this, args));
    },
  }[spec.name] as (...args: unknown[]) => Promise<unknown>;

  return Object.assign(cached, {
    async clear(this: unknown, ...args: unknown[]): Promise<void> {
      const table = tableOf(spec.larder ?? defaultLarder());
      if (args.length === 0) return table.releaseAll('cleared');
      // `getClient.clear(url)` is called on the wrapper: that is not a method receiver of `fn`.
      const receiver = this === cached ? undefined : this;
      const call = callKey(spec, receiver, args);
      const matches = spec.readsThis && !isMethodReceiver(receiver)
        ? (key: string) => key === call.key || key.startsWith(`${call.argsHash}.`)
        : (key: string) => key === call.key;
      await table.releaseWhere(matches, 'cleared');
    },
  }) as unknown as CachedResource<F>;
}

/**
 * Releases every resource of the default larder (or of `larder`): every `cacheResource` value, each
 * `onRelease` called once, and every value the resource registry created (`dispose` called; the next
 * `get` creates it again). Streamlit's `st.cache_resource.clear()`.
 * @example await cacheResource.clear();
 */
cacheResource.clear = async function clear(larder: Larder = defaultLarder()): Promise<void> {
  const errors: unknown[] = [];
  await resourceTables(larder).releaseAll('cleared').catch((error: unknown) => errors.push(error));
  await larder.resources.releaseAll().catch((error: unknown) => errors.push(error));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'Several resources failed to release');
};
