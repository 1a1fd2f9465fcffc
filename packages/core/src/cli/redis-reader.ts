import type { KeyvStore } from '../store/backends/keyv-store.js';
import { ENTRY_PREFIX } from '../store/store.js';
import { BATCH, headersFrom, spaceIdOf, storeActions, type StoredEntry, type StoreReader } from './store-reader.js';

/** The node-redis commands used here, typed structurally (node-redis is @keyv/redis's dependency, not ours). */
interface RedisClient {
  withTypeMapping(mapping: Record<number, unknown>): RedisClient;
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[]>;
  strLen(key: string): Promise<number>;
  pTTL(key: string): Promise<number>;
  getRange(key: string, start: number, end: number): Promise<Buffer | string>;
  unlink(keys: string[]): Promise<number>;
}

/** RESP_TYPES.BLOB_STRING of @redis/client: replies of this type come back as Buffers. */
const RESP_BLOB_STRING = 36;

/**
 * A {@link StoreReader} over a Redis store: `SCAN MATCH <namespace>::e:*` a batch at a time, then
 * `STRLEN` and `PTTL` per key (pipelined), and `GETRANGE` for headers. Keys are `<namespace>::<key>`,
 * as @keyv/redis writes them.
 */
export function redisReader(store: KeyvStore, location: string, namespace: string, now: () => number = Date.now): StoreReader {
  const client = (store.keyv.store as { client: RedisClient }).client;
  const bytes = client.withTypeMapping({ [RESP_BLOB_STRING]: Buffer });
  const prefix = `${namespace}::`;
  const redisKey = (key: string) => prefix + key;

  return {
    location,
    namespace,
    async *entries() {
      // The same key may come back in more than one SCAN batch (the table can be rehashed meanwhile).
      const seen = new Set<string>();
      for await (const keys of client.scanIterator({ MATCH: `${escapeGlob(prefix + ENTRY_PREFIX)}*`, COUNT: BATCH })) {
        const fresh = keys.filter((key) => !seen.has(key));
        for (const key of fresh) seen.add(key);
        const [sizes, ttls] = await Promise.all([Promise.all(fresh.map((key) => client.strLen(key))), Promise.all(fresh.map((key) => client.pTTL(key)))]);
        const time = now();
        const batch: StoredEntry[] = [];
        fresh.forEach((full, i) => {
          const ttl = ttls[i]!;
          if (ttl === -2) return; // gone since the scan
          const key = full.slice(prefix.length);
          batch.push({ key, spaceId: spaceIdOf(key), bytes: sizes[i]!, expiresAt: ttl === -1 ? null : time + ttl });
        });
        if (batch.length > 0) yield batch;
      }
    },
    headers(entries) {
      return headersFrom(entries.length, (indexes, length) =>
        Promise.all(
          indexes.map(async (i) => {
            const head = await bytes.getRange(redisKey(entries[i]!.key), 0, length - 1);
            // GETRANGE answers "" for a missing key; an envelope is never empty.
            return Buffer.isBuffer(head) && head.length > 0 ? head : undefined;
          }),
        ),
      );
    },
    async delete(keys) {
      let deleted = 0;
      for (let i = 0; i < keys.length; i += BATCH) deleted += await client.unlink(keys.slice(i, i + BATCH).map(redisKey));
      return deleted;
    },
    ...storeActions(store),
  };
}

/** SCAN's MATCH is a glob: a namespace with `*`, `?`, `[` or `\` must match itself only. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
