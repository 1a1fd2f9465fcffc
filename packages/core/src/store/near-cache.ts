import type { Entry } from './entry.js';
import { fingerprint } from './store.js';

/** A shared store's entry held in process, with what the store answers for it when it is unchanged. */
export interface NearCopy {
  readonly bytes: Buffer;
  readonly entry: Entry;
  readonly fingerprint: Buffer;
  /**
   * Whether the store's server watches this copy for this process (near-tracking.ts): it then pushes an
   * invalidation when the entry changes, and the copy is used without asking the store.
   */
  trusted: boolean;
}

/** Default bound of a larder's near cache: the bytes of the entries it holds. */
export const DEFAULT_NEAR_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Copies of entries read from or written to a shared store (SQLite, Redis), bounded by bytes (LRU).
 *
 * Without tracking, a copy is never trusted alone: each read still asks the store, in its one round trip,
 * for the tag versions and the entry's fingerprint (`Store.peekMany`) instead of its bytes. The copy is
 * used when the store still holds exactly that entry, so invalidation, `clear()` and overwrites by other
 * processes are seen as before; what is saved is moving, checking and decoding the value again.
 * With tracking (Redis over RESP3), a copy the server watches is {@link NearCopy.trusted} and used
 * without a round trip until the server says it changed (near-tracking.ts).
 */
export class NearCache {
  readonly #maxBytes: number;
  readonly #copies = new Map<string, NearCopy>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get size(): number {
    return this.#copies.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The copy of `key`, without marking it as used. */
  peek(key: string): NearCopy | undefined {
    return this.#copies.get(key);
  }

  /** The copy of `key`, marked as recently used. */
  get(key: string): NearCopy | undefined {
    const copy = this.#copies.get(key);
    if (copy) {
      this.#copies.delete(key);
      this.#copies.set(key, copy);
    }
    return copy;
  }

  /**
   * Keeps `bytes` (a verified envelope whose payload is `entry.payload`) as the copy of `key`, and
   * returns what it kept. A view into a larger buffer (a small value in a Redis socket chunk, an
   * envelope in Node's shared 8 KiB pool) is copied first, so the bound counts what stays in memory.
   * One larger than the whole bound is not kept.
   */
  set(key: string, bytes: Buffer, entry: Entry): NearCopy | undefined {
    this.delete(key);
    if (bytes.length > this.#maxBytes) return undefined;
    const copy = ownBuffer(bytes, entry);
    this.#copies.set(key, copy);
    this.#bytes += copy.bytes.length;
    for (const [oldest, old] of this.#copies) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#copies.delete(oldest);
      this.#bytes -= old.bytes.length;
    }
    return this.#copies.get(key);
  }

  /** The copy of `key` stays, but is checked against the store again before it is used. */
  untrust(key: string): void {
    const copy = this.#copies.get(key);
    if (copy) copy.trusted = false;
  }

  delete(key: string): void {
    const copy = this.#copies.get(key);
    if (!copy) return;
    this.#copies.delete(key);
    this.#bytes -= copy.bytes.length;
  }

  clear(): void {
    this.#copies.clear();
    this.#bytes = 0;
  }
}

function ownBuffer(bytes: Buffer, entry: Entry): NearCopy {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length) return { bytes, entry, fingerprint: fingerprint(bytes), trusted: false };
  const own = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(own);
  const start = entry.payload.byteOffset - bytes.byteOffset;
  const payload = entry.payload.buffer === bytes.buffer && start >= 0 ? own.subarray(start, start + entry.payload.length) : entry.payload;
  return { bytes: own, entry: { header: entry.header, payload }, fingerprint: fingerprint(own), trusted: false };
}
