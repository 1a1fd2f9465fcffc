import type { KeyvStore } from '../store/backends/keyv-store.js';
import { ENTRY_PREFIX } from '../store/store.js';
import { BATCH, headersFrom, spaceIdOf, storeActions, type StoredEntry, type StoreReader } from './store-reader.js';

/** The @keyv/sqlite adapter's query function and table. */
interface SqliteAdapter {
  query(sql: string, ...params: unknown[]): Promise<Array<Record<string, unknown>>>;
  opts: { table: string };
}

/** Raw rows start with the expiry, a big-endian float64 of milliseconds (see stores/raw-access.ts). */
const EXPIRY_BYTES = 8;

/**
 * A {@link StoreReader} over a SQLite store. Rows are listed a page at a time in key order (keyset
 * pagination: each page starts after the last key of the one before), with `length()` and the
 * first 8 bytes of the value; headers are read with `substr()`.
 */
export function sqliteReader(store: KeyvStore, location: string, namespace: string, now: () => number = Date.now): StoreReader {
  const adapter = store.keyv.store as SqliteAdapter;
  const table = adapter.opts.table;
  const prefix = `${namespace}:`;
  const entryPrefix = prefix + ENTRY_PREFIX;
  // Every key of the namespace's entries sorts between these two.
  const end = entryPrefix.slice(0, -1) + String.fromCharCode(entryPrefix.charCodeAt(entryPrefix.length - 1) + 1);
  const rowKey = (key: string) => prefix + key;

  return {
    location,
    namespace,
    async *entries() {
      let after = entryPrefix;
      for (;;) {
        const rows = await adapter.query(
          `SELECT key, typeof(value) AS type, length(value) AS size, substr(value, 1, ${EXPIRY_BYTES}) AS expiry FROM ${table} ` +
            `WHERE key > ? AND key < ? ORDER BY key LIMIT ${BATCH}`,
          after,
          end,
        );
        if (rows.length === 0) return;
        after = String(rows.at(-1)!.key);
        const time = now();
        const batch: StoredEntry[] = [];
        for (const row of rows) {
          const key = String(row.key).slice(prefix.length);
          if (row.type !== 'blob' || !Buffer.isBuffer(row.expiry) || row.expiry.length < EXPIRY_BYTES) {
            // Not a raw row (written through another Keyv setup): listed, with no expiry we can read.
            batch.push({ key, spaceId: spaceIdOf(key), bytes: Number(row.size), expiresAt: null });
            continue;
          }
          const expiresAt = row.expiry.readDoubleBE(0);
          if (expiresAt <= time) continue;
          batch.push({ key, spaceId: spaceIdOf(key), bytes: Number(row.size) - EXPIRY_BYTES, expiresAt: expiresAt === Infinity ? null : expiresAt });
        }
        if (batch.length > 0) yield batch;
        if (rows.length < BATCH) return;
      }
    },
    headers(entries) {
      return headersFrom(entries.length, async (indexes, bytes) => {
        const keys = indexes.map((i) => rowKey(entries[i]!.key));
        const rows = await adapter.query(
          `SELECT key, substr(value, ${EXPIRY_BYTES + 1}, ${bytes}) AS head FROM ${table} WHERE typeof(value) = 'blob' AND key IN (SELECT value FROM json_each(?))`,
          JSON.stringify(keys),
        );
        const byKey = new Map(rows.map((row) => [String(row.key), row.head]));
        return keys.map((key) => {
          const head = byKey.get(key);
          return Buffer.isBuffer(head) ? head : undefined;
        });
      });
    },
    async delete(keys) {
      let deleted = 0;
      for (let i = 0; i < keys.length; i += BATCH) {
        const rows = await adapter.query(
          `DELETE FROM ${table} WHERE key IN (SELECT value FROM json_each(?)) RETURNING key`,
          JSON.stringify(keys.slice(i, i + BATCH).map(rowKey)),
        );
        deleted += rows.length;
      }
      return deleted;
    },
    ...storeActions(store),
  };
}
