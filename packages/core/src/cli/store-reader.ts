import { type EntryHeader, HEADER_PEEK_BYTES, peekHeader } from '../store/entry.js';
import { ENTRY_PREFIX, type Store } from '../store/store.js';
import { TagVersions } from '../store/tags.js';

/** One entry as a store lists it, before anything of its value is read. */
export interface StoredEntry {
  /** The key as Larder writes it (`e:<space id>|<hash>`), without the store's namespace prefix. */
  key: string;
  /** The space (function or route version) the entry belongs to. */
  spaceId: string;
  /** Size of the stored envelope in bytes. */
  bytes: number;
  /** When the store drops it (ms since the epoch), or null for never. */
  expiresAt: number | null;
}

/**
 * Read and delete access to a SQLite or Redis store from outside the app. Listing goes in batches
 * (SQLite pages of rows, Redis SCAN) and reads sizes and expiries only; headers are read on demand
 * from the first bytes of each value. No value is ever loaded whole.
 */
export interface StoreReader {
  /** `sqlite:///abs/path.sqlite` or `redis://host:port/db`, without a password. */
  readonly location: string;
  readonly namespace: string;
  /** Every entry of the namespace, a batch at a time; expired ones that await a sweep are left out. */
  entries(): AsyncIterable<StoredEntry[]>;
  /** The headers of these entries (undefined where a value is gone or not a Larder envelope). */
  headers(entries: readonly StoredEntry[]): Promise<Array<EntryHeader | undefined>>;
  /** Deletes these entries; resolves to how many existed. */
  delete(keys: readonly string[]): Promise<number>;
  /** Moves a tag to a new version, as `larder.invalidate(tag)` does. */
  invalidate(tag: string): Promise<void>;
  /** Deletes every key of the namespace: entries and tag versions (`larder.clear()`). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** Entries listed per batch, and per header read. */
export const BATCH = 500;

/** The space id inside an entry key (`e:<space id>|<hash>`). */
export function spaceIdOf(key: string): string {
  return key.slice(ENTRY_PREFIX.length, key.lastIndexOf('|'));
}

/**
 * Headers from value prefixes, re-reading the few whose header is longer than the first read
 * (`readPrefixes(indexes, n)` reads the first `n` bytes of each of those entries).
 */
export async function headersFrom(
  count: number,
  readPrefixes: (indexes: readonly number[], bytes: number) => Promise<Array<Buffer | undefined>>,
): Promise<Array<EntryHeader | undefined>> {
  const all = Array.from({ length: count }, (_, i) => i);
  const prefixes = await readPrefixes(all, HEADER_PEEK_BYTES);
  const headers: Array<EntryHeader | undefined> = [];
  const longer = new Map<number, number>();
  prefixes.forEach((prefix, i) => {
    const peeked = prefix === undefined ? undefined : peekHeader(prefix);
    if (typeof peeked === 'number') longer.set(i, peeked);
    headers[i] = typeof peeked === 'object' ? peeked : undefined;
  });
  for (const [i, bytes] of longer) {
    const [prefix] = await readPrefixes([i], bytes);
    const peeked = prefix === undefined ? undefined : peekHeader(prefix);
    headers[i] = typeof peeked === 'object' ? peeked : undefined;
  }
  return headers;
}

/** What every reader does through the store itself, exactly as a larder would. */
export function storeActions(store: Store): Pick<StoreReader, 'invalidate' | 'clear' | 'close'> {
  const tags = new TagVersions(false);
  return {
    invalidate: (tag) => tags.bump(store, tag),
    clear: () => store.clear(),
    close: () => store.close(),
  };
}
