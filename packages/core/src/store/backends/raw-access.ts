import { FINGERPRINT, fingerprintOf } from '../store.js';
import type { PreparedReads } from './sqlite-reads.js';

/**
 * Byte-level reads and writes for the stores Larder builds from a URL. Keyv's record format
 * (`{ value, expires }` as JSON, the bytes as base64) costs a UTF-8 decode, a JSON.parse and a
 * base64 decode of the whole value on every read: for a 100 KB response that is most of a hit.
 * These paths keep the same keys, so Keyv still deletes, clears and connects as before.
 */

/** Value access that bypasses Keyv's serialization. */
export interface RawAccess {
  getMany(keys: readonly string[]): Promise<Array<Buffer | undefined>>;
  /** `getMany` with the first value as its fingerprint (see `Store.peekMany`). */
  peekMany(keys: readonly string[]): Promise<Array<Buffer | undefined>>;
  set(key: string, value: Buffer, ttlMs: number | undefined): Promise<void>;
  /** Releases what the access holds besides the adapter (a connection of its own). */
  close?(): Promise<void>;
  /** Told of every write to the store (set, delete, clear, sweep) while it is in flight. */
  track?(write: Promise<unknown>): void;
}

/** The node-redis commands used here, typed structurally (node-redis is @keyv/redis's dependency, not ours). */
export interface RedisBytes {
  mGet(keys: string[]): Promise<Array<Buffer | string | null>>;
  getRange(key: string, start: number, end: number): Promise<Buffer | string>;
  strLen(key: string): Promise<number>;
  set(key: string, value: Buffer, options?: { PX: number }): Promise<unknown>;
}

/**
 * Raw access to a Redis database; keys carry @keyv/redis's `namespace::` prefix. `connection()` is the
 * client to use now, with blob strings mapped to Buffers (`withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })`).
 */
export function redisRawAccess(connection: () => RedisBytes | Promise<RedisBytes>, namespace: string): RawAccess {
  const prefix = (key: string) => `${namespace}::${key}`;
  return {
    async getMany(keys) {
      const values = await (await connection()).mGet(keys.map(prefix));
      return values.map((value) => (Buffer.isBuffer(value) ? value : undefined));
    },
    async peekMany([first, ...rest]) {
      const bytes = await connection();
      // Sent in one tick, so node-redis pipelines the four commands into one round trip. They are not
      // atomic: a write landing between them gives a fingerprint that matches nothing, and a whole read.
      // A key another program turned into a list (WRONGTYPE) peeks as nothing: the copy is dropped, and
      // the whole read that follows (MGET answers nil for it) is a miss whose write replaces it.
      const [head, tail, length, values] = await Promise.all([
        bytes.getRange(prefix(first!), 0, FINGERPRINT.head - 1).catch(wrongType),
        bytes.getRange(prefix(first!), -FINGERPRINT.tail, -1).catch(wrongType),
        bytes.strLen(prefix(first!)).catch(wrongType),
        rest.length > 0 ? bytes.mGet(rest.map(prefix)) : [],
      ]);
      // GETRANGE answers "" for a missing key; an envelope is never empty.
      const peeked = Buffer.isBuffer(head) && head.length > 0 && Buffer.isBuffer(tail) && length !== undefined ? fingerprintOf(head, tail, length) : undefined;
      return [peeked, ...values.map((value) => (Buffer.isBuffer(value) ? value : undefined))];
    },
    async set(key, value, ttlMs) {
      await (await connection()).set(prefix(key), value, ttlMs === undefined ? undefined : { PX: ttlMs });
    },
  };
}

function wrongType(error: unknown): undefined {
  if (/^WRONGTYPE/.test(error instanceof Error ? error.message : String(error))) return undefined;
  throw error;
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
export function sqliteRawAccess(adapter: SqliteLike, namespace: string, now: () => number = Date.now, reads?: PreparedReads): RawAccess {
  const table = adapter.opts.table ?? 'keyv';
  const prefix = (key: string) => `${namespace}:${key}`;
  // Batched reads are named `g<key>` (the value) or `p<key>` (its fingerprint: the expiry and the first
  // bytes, the last ones and the length, in columns of their own because SQLite's || would turn BLOBs into text).
  const peekedRow = (row: { value: unknown; tail: unknown; size: unknown }): unknown =>
    Buffer.isBuffer(row.value) && Buffer.isBuffer(row.tail) && typeof row.size === 'number' ? fingerprintOf(row.value, row.tail, row.size) : row.value;
  const selectSql =
    `SELECT 'g' || key AS name, value, NULL AS tail, NULL AS size FROM ${table} WHERE key IN (SELECT value FROM json_each(?)) UNION ALL ` +
    `SELECT 'p' || key, substr(value, 1, ${8 + FINGERPRINT.head}), substr(value, -${FINGERPRINT.tail}), length(value) - 8 FROM ${table} WHERE key IN (SELECT value FROM json_each(?))`;
  const query = reads ? reads.statement(selectSql) : (...params: unknown[]) => adapter.query(selectSql, ...params);
  const select = async (asked: readonly string[]): Promise<Map<string, unknown>> => {
    const keysOf = (kind: string) => JSON.stringify(asked.filter((name) => name[0] === kind).map((name) => name.slice(1)));
    const rows = (await query(keysOf('g'), keysOf('p'))) as unknown as Array<{ name: string; value: unknown; tail: unknown; size: unknown }>;
    return new Map(rows.map((row) => [row.name, peekedRow(row)]));
  };
  const batches = new ReadBatcher(select);
  const read = async (keys: readonly string[]): Promise<Array<Buffer | undefined>> => {
    const found = await batches.read(keys);
    const time = now();
    return keys.map((key) => {
      const value = found.get(key);
      // A row in another format (Keyv's JSON text) reads as bytes that fail Larder's envelope check.
      if (typeof value === 'string') return Buffer.from(value);
      if (!Buffer.isBuffer(value) || value.length < 8) return undefined;
      return value.readDoubleBE(0) > time ? value.subarray(8) : undefined;
    });
  };
  return {
    getMany: (keys) => read(keys.map((key) => `g${prefix(key)}`)),
    peekMany: ([first, ...rest]) => read([`p${prefix(first!)}`, ...rest.map((key) => `g${prefix(key)}`)]),
    async set(key, value, ttlMs) {
      const row = Buffer.allocUnsafe(8 + value.length);
      row.writeDoubleBE(ttlMs === undefined ? Infinity : now() + ttlMs, 0);
      value.copy(row, 8);
      await adapter.query(`INSERT INTO ${table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, prefix(key), row);
    },
    close: async () => reads?.close(),
    track: (write) => reads?.track(write),
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
