/**
 * Byte-level reads and writes for the stores Larder builds from a URL. Keyv's record format
 * (`{ value, expires }` as JSON, the bytes as base64) costs a UTF-8 decode, a JSON.parse and a
 * base64 decode of the whole value on every read: for a 100 KB response that is most of a hit.
 * These paths keep the same keys, so Keyv still deletes, clears and connects as before.
 */

/** Value access that bypasses Keyv's serialization. */
export interface RawAccess {
  getMany(keys: readonly string[]): Promise<Array<Buffer | undefined>>;
  set(key: string, value: Buffer, ttlMs: number | undefined): Promise<void>;
}

/** The node-redis commands used here, typed structurally (node-redis is @keyv/redis's dependency, not ours). */
interface RedisLike {
  withTypeMapping(mapping: Record<number, unknown>): RedisLike;
  mGet(keys: string[]): Promise<Array<Buffer | string | null>>;
  set(key: string, value: Buffer, options?: { PX: number }): Promise<unknown>;
}

/** RESP_TYPES.BLOB_STRING of @redis/client: replies of this type come back as Buffers, not UTF-8 strings. */
const RESP_BLOB_STRING = 36;

/** Raw access to a Redis database; keys carry @keyv/redis's `namespace::` prefix. */
export function redisRawAccess(client: RedisLike, namespace: string): RawAccess {
  const bytes = client.withTypeMapping({ [RESP_BLOB_STRING]: Buffer });
  const prefix = (key: string) => `${namespace}::${key}`;
  return {
    async getMany(keys) {
      const values = await bytes.mGet(keys.map(prefix));
      return values.map((value) => (Buffer.isBuffer(value) ? value : undefined));
    },
    async set(key, value, ttlMs) {
      await client.set(prefix(key), value, ttlMs === undefined ? undefined : { PX: ttlMs });
    },
  };
}

/** The @keyv/sqlite adapter's query function and table. */
interface SqliteLike {
  query(sql: string, ...params: unknown[]): Promise<Array<{ key: string; value: unknown }>>;
  opts: { table?: string };
}

/**
 * Raw access to the @keyv/sqlite table. A value is a BLOB: the expiry as a big-endian float64
 * (milliseconds; +Infinity for none), then the bytes. Positive doubles order like their
 * big-endian bytes, so `substr(value, 1, 8) < ?` finds expired rows in SQL (see `sqliteSweep`).
 *
 * Reads are batched: while one SELECT is on sqlite3's thread pool, the reads that arrive wait
 * together and go out as the next single SELECT. One connection runs one statement at a time
 * anyway, so a read waits no longer than it would in line, and a burst of hits costs a few
 * queries instead of one each.
 */
export function sqliteRawAccess(adapter: SqliteLike, namespace: string, now: () => number = Date.now): RawAccess {
  const table = adapter.opts.table ?? 'keyv';
  const prefix = (key: string) => `${namespace}:${key}`;
  const select = async (keys: readonly string[]): Promise<Map<string, unknown>> => {
    const rows = await adapter.query(`SELECT key, value FROM ${table} WHERE key IN (SELECT value FROM json_each(?))`, JSON.stringify(keys));
    return new Map(rows.map((row) => [row.key, row.value]));
  };
  const batches = new ReadBatcher(select);
  return {
    async getMany(keys) {
      const prefixed = keys.map(prefix);
      const found = await batches.read(prefixed);
      const time = now();
      return prefixed.map((key) => {
        const value = found.get(key);
        // A row in another format (Keyv's JSON text) reads as bytes that fail Larder's envelope check.
        if (typeof value === 'string') return Buffer.from(value);
        if (!Buffer.isBuffer(value) || value.length < 8) return undefined;
        return value.readDoubleBE(0) > time ? value.subarray(8) : undefined;
      });
    },
    async set(key, value, ttlMs) {
      const row = Buffer.allocUnsafe(8 + value.length);
      row.writeDoubleBE(ttlMs === undefined ? Infinity : now() + ttlMs, 0);
      value.copy(row, 8);
      await adapter.query(`INSERT INTO ${table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, prefix(key), row);
    },
  };
}

/**
 * Runs one lookup at a time: reads that arrive while one is in flight are merged into the next.
 * Each caller gets the whole answer of the lookup that covered its keys.
 */
export class ReadBatcher<V> {
  readonly #lookup: (keys: readonly string[]) => Promise<Map<string, V>>;
  #waiting: Array<{ keys: readonly string[]; resolve(found: Map<string, V>): void; reject(error: unknown): void }> = [];
  #busy = false;

  constructor(lookup: (keys: readonly string[]) => Promise<Map<string, V>>) {
    this.#lookup = lookup;
  }

  read(keys: readonly string[]): Promise<Map<string, V>> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ keys, resolve, reject });
      if (!this.#busy) void this.#next();
    });
  }

  async #next(): Promise<void> {
    const batch = this.#waiting;
    if (batch.length === 0) return;
    this.#waiting = [];
    this.#busy = true;
    const keys = batch.length === 1 ? batch[0]!.keys : [...new Set(batch.flatMap((read) => read.keys))];
    try {
      const found = await this.#lookup(keys);
      for (const read of batch) read.resolve(found);
    } catch (error) {
      for (const read of batch) read.reject(error);
    } finally {
      this.#busy = false;
      void this.#next();
    }
  }
}

/** The SQL condition and parameter that select expired raw rows, for the periodic sweep. */
export function expiredBlobCondition(now: number): { sql: string; param: Buffer } {
  const param = Buffer.alloc(8);
  param.writeDoubleBE(now, 0);
  return { sql: `(typeof(value) = 'blob' AND substr(value, 1, 8) < ?)`, param };
}
