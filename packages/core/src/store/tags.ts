import { randomBytes } from 'node:crypto';
import { TAG_PREFIX, type Store } from './store.js';

/*
 * Invalidation by tag. Each tag has a version stored beside the entries, so that every process
 * sharing the store sees it; an entry is stamped with the versions it was written under, and an
 * entry whose stamp is behind a current version reads as invalidated.
 */

/** The version of a tag never invalidated. */
export const NO_TAG = '0';

/** The tag every entry of one kind carries (`cacheData.clear()`). */
export const kindTag = (kind: string): string => `larder:${kind}`;

/** The tags every entry of a space carries: its kind's, then its own. */
export const spaceTags = (id: string, kind: string): string[] => [kindTag(kind), `larder:space:${id}`];

/** Store key of a tag's version. */
export const tagKey = (tag: string): string => TAG_PREFIX + tag;

/**
 * The tag versions an entry carries. A tag never invalidated has version '0' and is left out:
 * a missing tag reads as '0', so the check is the same and every entry is smaller.
 */
export function stampedTags(tagVersions: Record<string, string> | undefined): Record<string, string> {
  const stamped: Record<string, string> = {};
  if (tagVersions === undefined) return stamped;
  // Own keys only: an enumerable property added to Object.prototype must not become a tag.
  for (const tag of Object.keys(tagVersions)) if (tagVersions[tag] !== NO_TAG) stamped[tag] = tagVersions[tag]!;
  return stamped;
}

/** Whether every tag the reader knows is still at the version the entry was written with. */
export function tagsCurrent(stamped: Record<string, string>, current: Record<string, string>): boolean {
  for (const tag of Object.keys(current)) if ((stamped[tag] ?? NO_TAG) !== current[tag]) return false;
  return true;
}

/** The versions of `names` in a `getMany()` answer, where `values[first + i]` is the version of `names[i]`. */
export function versionsAt(names: readonly string[], values: ReadonlyArray<Buffer | undefined>, first: number): Record<string, string> {
  const tagVersions: Record<string, string> = {};
  names.forEach((tag, i) => {
    tagVersions[tag] = values[first + i]?.toString('utf8') ?? NO_TAG;
  });
  return tagVersions;
}

/** Reads and moves tag versions; one per store a larder uses. */
export class TagVersions {
  /**
   * Tag versions, when the store is this larder's own memory store: nothing else can write them
   * there, so a hit need not read them back from the store. Undefined for shared stores.
   */
  readonly #own: Map<string, string> | undefined;

  constructor(ownStore: boolean) {
    this.#own = ownStore ? new Map() : undefined;
  }

  /** The current versions of `names`, without a promise: `store` must implement `getSync`. */
  readSync(store: Store, names: readonly string[]): Record<string, string> {
    const tagVersions: Record<string, string> = {};
    for (const tag of names) {
      tagVersions[tag] = this.#own ? (this.#own.get(tag) ?? NO_TAG) : (store.getSync!(tagKey(tag))?.toString('utf8') ?? NO_TAG);
    }
    return tagVersions;
  }

  /** Moves a tag to a new version: entries stamped with the old one read as invalidated. */
  bump(store: Store, tag: string): Promise<void> {
    const version = randomBytes(8).toString('hex');
    this.#own?.set(tag, version);
    return store.set(tagKey(tag), Buffer.from(version));
  }

  /** Forgets the versions held in process (the store was cleared). */
  clear(): void {
    this.#own?.clear();
  }
}
