import type { NearCache } from './near-cache.js';
import { TAG_PREFIX, type StoreTracking } from './store.js';

/** Most tag versions held in process (the oldest go first); a tag not held costs one round trip. */
export const MAX_NEAR_TAGS = 10_000;

/**
 * What a tracking store (Redis over RESP3) has promised to report: once this process has read a key,
 * the server pushes an invalidation when anyone changes it — a write, a delete, an expiry, an eviction,
 * a flush. Until then a copy held in process is the store's value, so a hit whose entry copy and tag
 * versions are all held needs no round trip at all.
 *
 * The race to guard: a reply and the push that invalidates it can arrive in one socket chunk, and the
 * push is handled before the code awaiting the reply resumes. So every read marks its keys in flight
 * ({@link begin}); a push for a key in flight makes that read's answer untrusted ({@link end}), and it is
 * used once without being kept as current. A disconnect drops everything: the server forgets what a
 * connection read when it closes.
 */
export class NearTracking {
  readonly #store: StoreTracking;
  readonly #near: NearCache;
  /** Versions of tags, by tag name, as of the last read the server is watching. */
  readonly #tags = new Map<string, string>();
  /** Store keys with reads in flight, and how many. */
  readonly #reading = new Map<string, number>();
  /** Keys in flight that were invalidated before their reply was handled. */
  readonly #dirty = new Set<string>();

  constructor(store: StoreTracking, near: NearCache) {
    this.#store = store;
    this.#near = near;
    store.onInvalidate((key) => this.invalidated(key));
  }

  get active(): boolean {
    return this.#store.active;
  }

  /** The versions of `names` when every one is held; undefined when one must be read. */
  versions(names: readonly string[]): Record<string, string> | undefined {
    const versions: Record<string, string> = {};
    for (const tag of names) {
      const version = this.#tags.get(tag);
      if (version === undefined) return undefined;
      versions[tag] = version;
    }
    return versions;
  }

  /** Marks a read of `keys` in flight. Returns whether its answer can be trusted at all (tracking is on). */
  begin(keys: readonly string[]): boolean {
    for (const key of keys) this.#reading.set(key, (this.#reading.get(key) ?? 0) + 1);
    return this.#store.active;
  }

  /**
   * The read of `keys` is answered: which of its keys the server is now watching for this process
   * (none when tracking was off at the start, or dropped meanwhile; none that were invalidated in flight).
   */
  end(keys: readonly string[], began: boolean): (key: string) => boolean {
    const invalidated = new Set<string>();
    for (const key of keys) {
      if (this.#dirty.has(key)) invalidated.add(key);
      const left = (this.#reading.get(key) ?? 1) - 1;
      if (left > 0) {
        this.#reading.set(key, left);
      } else {
        this.#reading.delete(key);
        this.#dirty.delete(key);
      }
    }
    const trusted = began && this.#store.active;
    return (key) => trusted && !invalidated.has(key);
  }

  /** Holds a tag's version read by a watched read. */
  keepVersion(tag: string, version: string): void {
    this.#tags.delete(tag);
    this.#tags.set(tag, version);
    if (this.#tags.size > MAX_NEAR_TAGS) this.#tags.delete(this.#tags.keys().next().value!);
  }

  /**
   * This process changed `key` (a write, a delete, a tag moved): its copy is not watched any more (a
   * write ends the server's tracking of the key), and a read of it in flight may answer the old value.
   */
  touched(key: string): void {
    if (key.startsWith(TAG_PREFIX)) this.#tags.delete(key.slice(TAG_PREFIX.length));
    else this.#near.untrust(key);
    if (this.#reading.has(key)) this.#dirty.add(key);
  }

  /** A push from the server (null: drop everything). */
  invalidated(key: string | null): void {
    if (key === null) {
      this.#tags.clear();
      this.#near.clear();
      for (const reading of this.#reading.keys()) this.#dirty.add(reading);
      return;
    }
    if (key.startsWith(TAG_PREFIX)) this.#tags.delete(key.slice(TAG_PREFIX.length));
    else this.#near.delete(key);
    if (this.#reading.has(key)) this.#dirty.add(key);
  }

  /** The store was cleared by this process. */
  clear(): void {
    this.invalidated(null);
  }
}
