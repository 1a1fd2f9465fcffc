import { syncSize, type CacheSpace } from './cache-space.js';
import type { Clock } from '../clock.js';
import { StoreError } from '../errors.js';
import { attempt, settleWithin } from './bounded.js';
import { decodeEntry, encodeEntryView, type Entry, type EntryHeader } from './entry.js';
import type { LarderEvent, LarderEventName, LarderReason } from '../events.js';
import type { NearCache } from './near-cache.js';
import type { NearTracking } from './near-tracking.js';
import type { Store } from './store.js';
import { stampedTags, tagKey, tagsCurrent, versionsAt, type TagVersions } from './tags.js';

export type ReadResult =
  | { state: 'fresh'; entry: Entry; ageMs: number; tagVersions: Record<string, string> }
  | { state: 'stale'; entry: Entry; ageMs: number; tagVersions: Record<string, string> }
  | { state: 'miss'; reason: LarderReason; tagVersions: Record<string, string> | undefined };

/**
 * The freshness a reader applies now, besides the expiry stamped on the entry when it was written: a
 * cached function's current `ttl` (and stale window), so that shortening `ttl` in code also expires
 * entries stored under the longer one.
 */
export interface FreshnessLimits {
  /** Age below which an entry is fresh. */
  readonly freshMs: number;
  /** Extra age during which a stale entry may still be served. */
  readonly staleMs: number;
}

/**
 * Bytes of entries handed to the store whose write has not settled. A store that stopped answering
 * (a SIGSTOPped Redis, a socket that accepts and never replies) would otherwise hold every entry
 * written since; past this, writes are skipped with an `error` event (`store-backlog`).
 */
export const MAX_PENDING_WRITE_BYTES = 64 * 1024 * 1024;

export interface WriteSpec {
  freshForMs: number;
  /** Extra time a stale entry may be served after it stops being fresh. */
  staleForMs: number;
  meta?: unknown;
  /** The envelope version: `NEWER_PAYLOAD_VERSION` (entry.ts) when older Larders cannot read the payload. @default 1 */
  version?: number;
}

/**
 * Reads, judges, writes and drops a larder's entries in its store. Never throws and never rejects:
 * a store failure, a timeout or a corrupt entry is a miss plus an `error` event.
 */
export class EntryAccess {
  // Set by the owning larder on creation and by reconfigure(); read afresh on every operation.
  store!: Store;
  clock!: Clock;
  /** How long a store read may take before it counts as a miss. */
  storeTimeoutMs!: number;
  tags!: TagVersions;
  /** Copies of a shared store's entries, checked against it on every read (near-cache.ts). */
  near!: NearCache;
  /** With a store that pushes invalidations: what its server watches for this process (near-tracking.ts). */
  tracked: NearTracking | undefined;
  /**
   * Envelopes already verified, by the identity of their bytes. The memory store hands back the
   * very Buffer it holds, so a memory hit skips the checksum; bytes from SQLite or Redis are new
   * Buffers on every read and are always checked.
   */
  readonly #verified = new WeakMap<Buffer, Entry>();
  /**
   * Deletes of dropped entries still in flight, by key. A rewrite of the same key waits for its delete:
   * `@keyv/sqlite` deletes with a SELECT then a DELETE, which would remove a value set in between.
   */
  readonly #dropping = new Map<string, Promise<void>>();
  /** Writes on their way to the store, by key: a lease is released once its entry has landed (lease.ts). */
  readonly #writing = new Map<string, Promise<unknown>>();
  readonly #emit: (name: LarderEventName, event: LarderEvent) => void;
  /** Bytes of writes handed to the store and not settled yet (see MAX_PENDING_WRITE_BYTES). */
  #pendingBytes = 0;

  constructor(emit: (name: LarderEventName, event: LarderEvent) => void) {
    this.#emit = emit;
  }

  /**
   * Reads an entry and the versions of the tags `names` in one round trip. Answers synchronously
   * when the store can (memory), to keep hits off the promise queue.
   */
  read(space: CacheSpace, key: string, names: readonly string[], limits?: FreshnessLimits): ReadResult | Promise<ReadResult> {
    const store = this.store;
    if (store.getSync) {
      try {
        const tagVersions = this.tags.readSync(store, names);
        return this.#judge(space, key, store.getSync(key), tagVersions, limits);
      } catch (error) {
        return this.#readFailed(space, key, error, 'store-error');
      }
    }
    const tracked = this.tracked;
    if (tracked?.active) {
      // The server watches this copy and these tag versions for us: unchanged until it pushes otherwise.
      const copy = this.near.get(key);
      const tagVersions = copy?.trusted ? tracked.versions(names) : undefined;
      if (tagVersions) return this.#judge(space, key, copy!.bytes, tagVersions, limits);
    }
    return this.#readAsync(space, key, names, limits);
  }

  async #readAsync(space: CacheSpace, key: string, names: readonly string[], limits: FreshnessLimits | undefined): Promise<ReadResult> {
    const keys = [key, ...names.map(tagKey)];
    try {
      // An entry this process just dropped (corrupt, expired, invalidated) is read again once it is gone:
      // reading it before would find the same dead bytes (a lease's second look does that at once).
      const dropping = this.#dropping.get(key);
      const { values, watched } = await this.bounded('read', () => (dropping ? dropping.then(() => this.#fetch(keys, names)) : this.#fetch(keys, names)));
      const bytes = values[0];
      const result = this.#judge(space, key, bytes, versionsAt(names, values, 1), limits);
      if (result.state !== 'miss' && bytes && this.store.peekMany) {
        if (this.near.peek(key)?.bytes !== bytes) this.#keepNear(key, bytes, result.entry);
        const copy = this.near.peek(key);
        if (copy?.bytes === bytes && watched) copy.trusted = watched(key);
      }
      return result;
    } catch (error) {
      // A copy is checked by a cheaper command than a whole read (GETRANGE, not MGET), which a foreign
      // value of another type under the key fails every time: read it whole next time, so it can be replaced.
      this.near.delete(key);
      return this.#readFailed(space, key, error, error instanceof StoreError && error.timedOut ? 'store-timeout' : 'store-error');
    }
  }

  /**
   * Runs a store operation under the one timeout policy: it settles within `storeTimeout`, and a
   * failure or a timeout rejects with a {@link StoreError} naming the operation.
   */
  bounded<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const kind = this.store.kind;
    return settleWithin(run, this.storeTimeoutMs, () => new StoreError(operation, kind, { timeoutMs: this.storeTimeoutMs })).catch((error: unknown) => {
      throw error instanceof StoreError ? error : new StoreError(operation, kind, { cause: error });
    });
  }

  /**
   * The entry's bytes and the tag versions. With a copy of the entry in process, the store is asked
   * for the entry's fingerprint only, and the copy stands in for the bytes while the store holds the same.
   */
  async #fetch(keys: readonly string[], names: readonly string[]): Promise<{ values: Array<Buffer | undefined>; watched?: (key: string) => boolean }> {
    const tracked = this.tracked;
    // Nothing read while tracking is off (not confirmed yet, or RESP2) is ever trusted: no need to watch it.
    if (!tracked?.active) return { values: await this.#fetchValues(keys) };
    const began = tracked.begin(keys);
    let values: Array<Buffer | undefined>;
    try {
      values = await this.#fetchValues(keys);
    } catch (error) {
      tracked.end(keys, false);
      throw error;
    }
    const watched = tracked.end(keys, began);
    const versions = versionsAt(names, values, 1);
    for (const tag of names) if (watched(tagKey(tag))) tracked.keepVersion(tag, versions[tag]!);
    return { values, watched };
  }

  async #fetchValues(keys: readonly string[]): Promise<Array<Buffer | undefined>> {
    const store = this.store;
    const key = keys[0]!;
    const copy = store.peekMany ? this.near.get(key) : undefined;
    if (!copy) return store.getMany(keys);
    const values = await store.peekMany!(keys);
    if (values[0] === undefined) {
      this.near.delete(key);
    } else if (values[0].equals(copy.fingerprint)) {
      values[0] = copy.bytes;
    } else {
      // Rewritten since the copy was taken (by another process, or this one): read it all again, so
      // that the entry and the tag versions it is judged by come from one moment.
      this.near.delete(key);
      return store.getMany(keys);
    }
    return values;
  }

  /** Keeps a verified entry near; the copy the near cache makes of a view is verified too. */
  #keepNear(key: string, bytes: Buffer, entry: Entry): void {
    const kept = this.near.set(key, bytes, entry);
    if (kept && kept.bytes !== bytes) this.#verified.set(kept.bytes, kept.entry);
  }

  #judge(space: CacheSpace, key: string, bytes: Buffer | undefined, tagVersions: Record<string, string>, limits: FreshnessLimits | undefined): ReadResult {
    if (bytes === undefined || bytes === null) {
      // Expired, evicted or cleared in the store, perhaps by another process: the index forgets it too.
      if (space.index.remove(key)) syncSize(space);
      return { state: 'miss', reason: 'absent', tagVersions };
    }
    const entry = this.#verified.get(bytes) ?? decodeEntry(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
    if (typeof entry !== 'string') this.#verified.set(bytes, entry);
    if (typeof entry === 'string') {
      this.#drop(space, key);
      space.stats.errors++;
      this.#emit('error', { cache: space.name, kind: space.kind, key, reason: 'corrupt', error: new Error(`corrupt entry: ${entry}`) });
      return { state: 'miss', reason: 'corrupt', tagVersions };
    }
    if (!tagsCurrent(entry.header.tags, tagVersions)) {
      this.#drop(space, key);
      return { state: 'miss', reason: 'invalidated', tagVersions };
    }
    const now = this.clock.now();
    const ageMs = Math.max(0, now - entry.header.storedAt);
    const { freshUntil, staleUntil } = entry.header;
    // Both the expiry stamped at write time and the reader's current limits must agree.
    if ((freshUntil === null || now < freshUntil) && (limits === undefined || ageMs < limits.freshMs)) {
      space.index.touch(key);
      return { state: 'fresh', entry, ageMs, tagVersions };
    }
    if (staleUntil !== null && now < staleUntil && (limits === undefined || ageMs < limits.freshMs + limits.staleMs)) {
      return { state: 'stale', entry, ageMs, tagVersions };
    }
    this.#drop(space, key);
    return { state: 'miss', reason: 'expired', tagVersions };
  }

  #readFailed(space: CacheSpace, key: string, error: unknown, reason: LarderReason): ReadResult {
    space.stats.errors++;
    this.#emitError(space, error, reason, key);
    return { state: 'miss', reason, tagVersions: undefined };
  }

  /**
   * Encodes an entry stamped with `tagVersions` (those of a successful read) and stores it in the
   * background. Returns the entry as encoded, its payload a view of the stored bytes. Never throws:
   * a store whose `set` throws, synchronously or not, costs an `error` event.
   */
  write(space: CacheSpace, key: string, payload: Buffer | readonly Buffer[], spec: WriteSpec, tagVersions: Record<string, string>): Entry {
    const { bytes, entry, staleUntil, now } = this.encode(space, payload, spec, tagVersions);
    if (this.#pendingBytes + bytes.length > MAX_PENDING_WRITE_BYTES) {
      space.stats.errors++;
      this.#emitError(space, new Error(`${this.#pendingBytes} bytes of writes are still waiting for the ${this.store.kind} store; this write of ${bytes.length} bytes is skipped`), 'store-backlog', key);
      return entry;
    }
    this.#verified.set(bytes, entry);
    this.tracked?.touched(key);
    if (this.store.peekMany) this.#keepNear(key, bytes, entry);
    const ttlMs = staleUntil === null ? undefined : Math.max(1, Math.ceil(staleUntil - now));
    const evicted = space.index.add(key, bytes.length, staleUntil ?? Infinity, now);
    syncSize(space);
    for (const old of evicted) {
      this.forget(old).catch((error: unknown) => this.#emitError(space, error, 'store-error', old));
      this.#emit('evict', { cache: space.name, kind: space.kind, key: old, reason: 'max-entries' });
    }
    const dropping = this.#dropping.get(key);
    const set = () => attempt(() => this.store.set(key, bytes, ttlMs));
    const stored = dropping ? dropping.then(set) : set();
    if (!this.store.getSync) this.#track(this.#writing, key, stored);
    this.#pendingBytes += bytes.length;
    stored
      .finally(() => (this.#pendingBytes -= bytes.length))
      .then(
        () => this.#emit('set', { cache: space.name, kind: space.kind, key, bytes: bytes.length }),
        (error: unknown) => {
          this.near.delete(key);
          if (space.index.remove(key)) syncSize(space);
          space.stats.errors++;
          this.#emitError(space, error, 'store-error', key);
        },
      );
    return entry;
  }

  /** The envelope of an entry written now, and the entry it holds, without storing it. */
  encode(space: CacheSpace, payload: Buffer | readonly Buffer[], spec: WriteSpec, tagVersions: Record<string, string> | undefined): { bytes: Buffer; entry: Entry; staleUntil: number | null; now: number } {
    const now = this.clock.now();
    const freshUntil = spec.freshForMs === Infinity ? null : now + spec.freshForMs;
    const staleUntil = freshUntil === null ? null : spec.staleForMs === Infinity ? null : freshUntil + spec.staleForMs;
    const header: EntryHeader = { kind: space.kind, storedAt: now, freshUntil, staleUntil, tags: stampedTags(tagVersions) };
    if (spec.meta !== undefined) header.meta = spec.meta;
    header.name = space.name;
    return { ...encodeEntryView(header, payload, spec.version), staleUntil, now };
  }

  /** Deletes an entry from the store, and its copy from the near cache. */
  forget(key: string): Promise<boolean> {
    this.near.delete(key);
    this.tracked?.touched(key);
    return this.bounded('delete', () => this.store.delete(key));
  }

  /** Moves a tag to a new version (see tags.ts); the version held in process is dropped first. */
  bumpTag(tag: string): Promise<void> {
    this.tracked?.touched(tagKey(tag));
    return this.tags.bump(this.store, tag);
  }

  /** Forgets every copy and tag version held in process (the store is being cleared). */
  clearNear(): void {
    this.tags.clear();
    this.near.clear();
    this.tracked?.clear();
  }

  /** Settles when the writes of `key` and of its variants (`key~…`, see capture.ts) issued so far have landed or failed. */
  async settled(key: string): Promise<void> {
    const pending: Array<Promise<unknown>> = [];
    for (const [written, write] of this.#writing) if (written === key || written.startsWith(`${key}~`)) pending.push(write);
    await Promise.allSettled(pending);
  }

  #drop(space: CacheSpace, key: string): void {
    if (space.index.remove(key)) syncSize(space);
    const deleted = this.forget(key).then(
      () => undefined,
      (error: unknown) => this.#emitError(space, error, 'store-error', key),
    );
    // An in-process store (getSync) applies operations in call order; only remote stores can reorder them.
    if (this.store.getSync) return;
    this.#track(this.#dropping, key, deleted);
  }

  /** Keeps `promise` under `key` until it settles (unless a later one replaced it). */
  #track<T>(map: Map<string, Promise<T>>, key: string, promise: Promise<T>): void {
    map.set(key, promise);
    const done = (): void => {
      if (map.get(key) === promise) map.delete(key);
    };
    promise.then(done, done);
  }

  #emitError(space: CacheSpace, error: unknown, reason: LarderReason, key: string): void {
    this.#emit('error', { cache: space.name, kind: space.kind, key, reason, error });
  }
}
