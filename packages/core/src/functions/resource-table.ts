import type { Larder } from '../larder.js';
import type { CacheStats } from '../stats.js';
import { SingleFlight } from './single-flight.js';

/** One live value of a cacheResource function. */
export interface Held {
  key: string;
  value: unknown;
  createdAt: number;
  released: boolean;
}

/** The live values of one cacheResource function in one larder, in LRU order. */
export class ResourceTable {
  readonly held = new Map<string, Held>();
  readonly flights = new SingleFlight<unknown>();

  constructor(
    readonly larder: Larder,
    readonly name: string,
    readonly stats: CacheStats,
    /** The first wrapper's: a wrapper created again at the same place releases the same way. */
    readonly onRelease: ((value: any) => unknown) | undefined,
  ) {}

  add(held: Held): void {
    this.held.set(held.key, held);
    this.stats.entries = this.held.size;
  }

  /** Moves a value to the most recently used end, or maxEntries would evict in creation order. */
  touch(held: Held): void {
    this.held.delete(held.key);
    this.held.set(held.key, held);
  }

  /** Releases one value, once: it leaves the table before `onRelease` runs. */
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

  /** Releases the values whose key matches, newest first; one failing `onRelease` does not keep the others. */
  async releaseWhere(matches: (key: string) => boolean, reason: string): Promise<void> {
    const errors: unknown[] = [];
    for (const held of [...this.held.values()].reverse()) {
      if (matches(held.key)) await this.release(held, reason).catch((error: unknown) => errors.push(error));
    }
    throwAll(errors, `Several values of ${this.name} failed to release`);
  }

  releaseAll(reason: string): Promise<void> {
    return this.releaseWhere(() => true, reason);
  }
}

/** The resource tables of one larder, by function identity, in creation order. */
class ResourceTables {
  readonly #byId = new Map<string, ResourceTable>();

  constructor(private readonly larder: Larder) {}

  /** The table of the function `id`: created by the first wrapper, found by every later one. */
  table(id: string, create: () => ResourceTable): ResourceTable {
    let table = this.#byId.get(id);
    if (!table) {
      const created = create();
      this.larder.onClose(() => created.releaseAll('released'));
      this.#byId.set(id, (table = created));
    }
    return table;
  }

  /** Releases every value of every function, newest function first (`cacheResource.clear()`). */
  async releaseAll(reason: string): Promise<void> {
    const errors: unknown[] = [];
    for (const table of [...this.#byId.values()].reverse()) {
      await table.releaseAll(reason).catch((error: unknown) => errors.push(error));
    }
    throwAll(errors, 'Several resources failed to release');
  }
}

const tablesByLarder = new WeakMap<Larder, ResourceTables>();

/** The resource tables of `larder` (kept beside it, gone with it). */
export function resourceTables(larder: Larder): ResourceTables {
  let tables = tablesByLarder.get(larder);
  if (!tables) tablesByLarder.set(larder, (tables = new ResourceTables(larder)));
  return tables;
}

function throwAll(errors: unknown[], message: string): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, message);
}
