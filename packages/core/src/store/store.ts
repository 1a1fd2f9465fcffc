
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
  /**
   * Shared stores may implement this: `getMany`, except that the first key's value comes back as its
   * {@link fingerprint} — a few dozen bytes instead of the whole value — so that a copy held in process
   * can be checked against the store in the same round trip as the tag versions (see near-cache.ts).
   */
  peekMany?(keys: readonly string[]): Promise<Array<Buffer | undefined>>;
  /**
   * Shared stores may offer leases, so that one process computes a cold key while the others wait for
   * its entry (lease.ts). Absent on in-process stores, where single-flight already runs a miss once.
   */
  readonly leases?: LeaseBackend;
  /**
   * Stores whose server tells this process when a key it read changes (Redis client tracking, RESP3):
   * a copy held in process is then good until a push says otherwise, and a hit needs no round trip.
   */
  readonly tracking?: StoreTracking;
}

/** Invalidations a store's server pushes for the keys this process has read (see near-tracking.ts). */
export interface StoreTracking {
  /** Whether pushes arrive now: connected, with tracking on. Copies taken while it was false are never trusted. */
  readonly active: boolean;
  /**
   * `listener(key)`: the store key changed — written, deleted, expired or evicted, by any process.
   * `listener(null)`: every key may have changed (the connection dropped, or the database was flushed).
   */
  onInvalidate(listener: (key: string | null) => void): void;
}

/** What a fingerprint keeps of a value: its first `head` bytes, its last `tail` bytes (they overlap in short values), then its length. */
export const FINGERPRINT = { head: 64, tail: 4 } as const;

/**
 * A value's first 64 bytes, its last 4 and its length (u32, big-endian). For Larder's envelopes
 * (entry.ts) that is the start of the header, with the time of the write in milliseconds, and the
 * CRC-32 of everything: two writes of one key share a fingerprint only if they have the same length,
 * were made in the same millisecond and their checksums collide.
 */
export function fingerprint(value: Buffer): Buffer {
  return fingerprintOf(value.subarray(0, Math.min(FINGERPRINT.head, value.length)), value.subarray(Math.max(0, value.length - FINGERPRINT.tail)), value.length);
}

/** A fingerprint from its parts, as stores that read them separately get them. */
export function fingerprintOf(head: Buffer, tail: Buffer, length: number): Buffer {
  const size = Buffer.allocUnsafe(4);
  size.writeUInt32BE(length >>> 0, 0);
  return Buffer.concat([head, tail, size]);
}

/** Keys Larder writes. Tag versions live beside entries so that every process sharing a store sees them. */
export const TAG_PREFIX = 't:';
export const ENTRY_PREFIX = 'e:';
/** Keys of leases (lease.ts): the entry key they guard, behind this prefix. */
export const LEASE_PREFIX = 'l:';

/** The lease on a key as the store reports it. */
export type LeaseState =
  /** Another process holds it for `ms` more milliseconds. */
  | { held: number }
  /** Its holder finished without an entry to share: waiters run themselves. */
  | 'released'
  /** Nobody holds it: it lapsed, or never was. */
  | 'free';

/**
 * What a shared store offers for leases (redis-lease.ts, sqlite-lease.ts). Keys are lease keys
 * (`l:` + the entry key). Every method may reject; Larder then runs the computation itself.
 */
export interface LeaseBackend {
  /** Takes the lease for `ms` unless another process holds it: `true`, or the milliseconds its holder has left. */
  claim(key: string, token: string, ms: number): Promise<true | number>;
  inspect(key: string): Promise<LeaseState>;
  /**
   * Ends the lease if `token` still holds it, and wakes the processes waiting on it. `stored`: its entry
   * has landed (the lease is deleted); otherwise it is marked released for a moment, so that the waiters
   * run themselves.
   */
  release(key: string, token: string, stored: boolean): Promise<void>;
  /** Readies wake-ups (a subscription); resolves once a release would reach this process, or when it cannot. */
  listen(): Promise<void>;
  /** Resolves when the lease on `key` may have changed, or after `ms`. */
  wait(key: string, ms: number): Promise<void>;
  /** How long a waiter that has waited `waitedMs` sleeps before it looks again, when nothing wakes it. */
  pollMs(waitedMs: number): number;
}
