import { KeyIndex } from './key-index.js';
import type { CacheStats, StatsBook } from '../stats.js';
import { ENTRY_PREFIX } from './store.js';
import { spaceTags } from './tags.js';

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

/** The store key of an entry of `space`; {@link CacheSpaces.ofKey} reads the space back out of it. */
export function entryKey(space: CacheSpace, hash: string): string {
  return `${ENTRY_PREFIX}${space.id}|${hash}`;
}

/** A space's own tag (the second of {@link spaceTags}), moved by `clearSpace()`. */
export const spaceTag = (space: CacheSpace): string => space.tags[1]!;

/** The tags a read checks: the space's, then the caller's. */
export function allTags(space: CacheSpace, tags: readonly string[]): readonly string[] {
  return tags.length === 0 ? space.tags : [...space.tags, ...tags];
}

/** Copies the size of a space's index into its stats, after the index changed. */
export function syncSize(space: CacheSpace): void {
  space.stats.entries = space.index.size;
  space.stats.bytes = space.index.bytes;
}

/**
 * How many keys a space's index tracks on a shared store when its `maxEntries` is unbounded: the
 * store holds what other processes wrote too and drops entries without telling this one, so the
 * index is a bounded memo there (stats count what this process wrote and still tracks).
 */
export const SHARED_STORE_TRACKED_KEYS = 10_000;

/** The spaces of one larder, by id. */
export class CacheSpaces {
  readonly #byId = new Map<string, CacheSpace>();
  readonly #stats: StatsBook;
  /**
   * Bound of the key index of spaces created from now on, when they have no `maxEntries`. The
   * larder's own memory store reports every eviction, so its indexes shrink with it and need none.
   */
  trackLimit = Infinity;

  constructor(stats: StatsBook) {
    this.#stats = stats;
  }

  /** Registers (or finds) the space of a cached function or route. */
  get(id: string, name: string, kind: 'data' | 'http', maxEntries: number): CacheSpace {
    let space = this.#byId.get(id);
    if (!space) {
      space = { id, name, kind, index: new KeyIndex(maxEntries, this.trackLimit), stats: this.#stats.row(name, kind), tags: spaceTags(id, kind) };
      this.#byId.set(id, space);
    }
    return space;
  }

  /** The space a store key belongs to, when it is an entry key of a space registered here. */
  ofKey(key: string): CacheSpace | undefined {
    if (!key.startsWith(ENTRY_PREFIX)) return undefined;
    return this.#byId.get(key.slice(ENTRY_PREFIX.length, key.lastIndexOf('|')));
  }

  values(): Iterable<CacheSpace> {
    return this.#byId.values();
  }

  /** Forgets the keys of entries the store has dropped by itself by `now`, in every space. */
  prune(now: number): void {
    for (const space of this.#byId.values()) {
      space.index.prune(now);
      syncSize(space);
    }
  }

  /** Forgets what this process stored, in every space (the store was cleared or replaced). */
  empty(): void {
    for (const space of this.#byId.values()) {
      space.index.clear();
      syncSize(space);
    }
  }
}
