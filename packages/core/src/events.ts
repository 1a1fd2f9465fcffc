/** Events a larder emits; subscribe with `larder.on(name, listener)`. */
export type LarderEventName = 'hit' | 'miss' | 'stale' | 'set' | 'evict' | 'bypass' | 'error';

/**
 * Why Larder did not read or store the cache, or why an entry was dropped. Stable strings:
 * the troubleshooting guide explains each one.
 */
export type LarderReason =
  | 'absent'
  | 'expired'
  | 'invalidated'
  | 'corrupt'
  | 'store-error'
  | 'store-timeout'
  | 'lru'
  | 'max-entries'
  | 'cleared'
  | 'validate-failed'
  | 'released'
  | 'compute-error'
  | 'stale-while-revalidate'
  | 'stale-if-error'
  | 'authorization'
  | 'body-on-get'
  | 'body-not-parsed'
  | 'unhashable'
  | 'status'
  | 'set-cookie'
  | 'cache-control-response'
  | 'vary-star'
  | 'body-too-large'
  | 'incomplete-body'
  | 'handler-error'
  | 'aborted'
  | 'guard'
  | 'head-miss'
  | 'no-freshness'
  | 'request-no-store'
  | 'no-cache'
  | 'request-directive'
  | 'max-stale'
  | 'only-if-cached'
  | 'absolute-form'
  | 'ambiguous-host'
  | 'store-backlog'
  | 'listener-error'
  | 'lease-error'
  | (string & {});

/** Payload of every event. */
export interface LarderEvent {
  /** The cached function's or route's name, as in `larder.stats()`. */
  cache: string;
  kind: 'data' | 'resource' | 'http';
  /** The store key, when there is one. */
  key?: string;
  /** A stable reason code for misses, bypasses, evictions and errors. */
  reason?: LarderReason;
  /** The underlying error for `error` events. */
  error?: unknown;
  /** Age of the served entry in milliseconds (hit and stale). */
  ageMs?: number;
  /** Time the function or handler took, in milliseconds (miss). */
  durationMs?: number;
  /** Size of the stored entry in bytes (set). */
  bytes?: number;
}
