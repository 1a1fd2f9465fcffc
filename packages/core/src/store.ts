/**
 * The boundary every backend implements: bytes in, bytes out. Larder encodes its own envelopes
 * (see entry.ts), so a store never interprets values and never runs them through a JSON serializer.
 *
 * Stores may throw or reject; Larder turns every failure into a miss plus an `error` event.
 */
export interface Store {
  /** Short label used in events and error messages: `memory`, `sqlite`, `redis`, `keyv`. */
  readonly kind: string;
  get(key: string): Promise<Buffer | undefined>;
  /** One round trip where the backend allows it (Redis MGET); results in the order of `keys`. */
  getMany(keys: readonly string[]): Promise<Array<Buffer | undefined>>;
  /** `ttlMs` is a positive integer, or undefined for no expiry. */
  set(key: string, value: Buffer, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Drops every key this store holds for Larder (its namespace only). */
  clear(): Promise<void>;
  close(): Promise<void>;
  /**
   * In-process stores answer synchronously, which keeps a memory hit off the promise queue.
   * Returns undefined on a miss, like `get`.
   */
  getSync?(key: string): Buffer | undefined;
}

/** Keys Larder writes. Tag versions live beside entries so that every process sharing a store sees them. */
export const TAG_PREFIX = 't:';
export const ENTRY_PREFIX = 'e:';
