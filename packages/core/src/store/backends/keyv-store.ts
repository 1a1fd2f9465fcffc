import { Keyv, type DeserializedData, type KeyvStoreAdapter } from 'keyv';
import type { LeaseBackend, Store, StoreTracking } from '../store.js';
import { expiredBlobCondition, type RawAccess } from './raw-access.js';
import { settleWithin } from './settle-within.js';

/** The backend behind a {@link KeyvStore}, as reported in events and errors. */
export type KeyvStoreKind = 'sqlite' | 'redis' | 'keyv';

/** Keyv namespace Larder uses for the stores it creates; `clear()` touches nothing outside it. */
export const DEFAULT_NAMESPACE = 'larder';

/** How often expired SQLite rows are deleted: the adapter never deletes them by itself. */
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

/** A graceful disconnect waits for queued commands; past this, close() returns anyway. */
const CLOSE_TIMEOUT_MS = 1_000;

/** Options of the {@link KeyvStore} constructor. */
export interface KeyvStoreOptions {
  /** Label used in events and errors. @default detected from the adapter (`sqlite`, `redis`, else `keyv`) */
  kind?: KeyvStoreKind;
  /** Period of the expired-row sweep for SQLite adapters; 0 disables it. @default 60_000 */
  sweepIntervalMs?: number;
  /** Byte-level value access for stores Larder builds itself (see raw-access.ts). @default Keyv's records */
  raw?: RawAccess;
  /** Leases for the stores Larder builds itself (sqlite-lease.ts, redis-lease.ts). */
  leases?: LeaseBackend;
  /** Invalidations pushed by the server (redis-link.ts). */
  tracking?: StoreTracking;
  /**
   * A connection Larder manages itself (redis-link.ts): `ready()` is awaited before each command (it
   * rejects while the server is unreachable), and `close()` replaces Keyv's disconnect.
   */
  connection?: { ready(): unknown; close(): Promise<void> };
}

/** Options of {@link KeyvStore.fromAdapter}. */
export interface KeyvAdapterOptions extends KeyvStoreOptions {
  /** @default DEFAULT_NAMESPACE ('larder') */
  namespace?: string;
}

/** The duck-typed parts of Keyv adapters this file relies on (@keyv/sqlite, @keyv/redis). */
interface AdapterShape {
  getMany?: unknown;
  opts?: { dialect?: string; table?: string };
  query?: (sql: string, ...params: unknown[]) => Promise<unknown[]>;
  client?: { isReady?: boolean; isOpen?: boolean; on?: (event: string, listener: () => void) => unknown };
  disconnect?: (force?: boolean) => Promise<void>;
}

/**
 * A {@link Store} over any Keyv instance: SQLite, Redis, or whatever adapter the app brings.
 *
 * Values travel as base64 strings inside Keyv's `{ value, expires }` record, so they round-trip
 * exactly through every serializer, compressor and backend (Redis replies are decoded as UTF-8, which
 * would mangle raw bytes). Errors reject: the constructor sets `throwOnErrors` on the Keyv instance,
 * because Keyv 5 otherwise turns a failed read into `undefined`, and listens for `error` so that
 * nothing is left unhandled.
 *
 * Closing disconnects the Keyv instance, so do not share one instance between stores.
 *
 * @example
 * const store = new KeyvStore(new Keyv(new KeyvSqlite('sqlite://cache.sqlite'), { namespace: 'larder' }));
 * await store.set('e:k', Buffer.from([0, 255]), 60_000);
 */
export class KeyvStore implements Store {
  readonly kind: KeyvStoreKind;
  readonly keyv: Keyv;
  readonly #sweeper: NodeJS.Timeout | undefined;
  readonly #raw: RawAccess | undefined;
  /** Only with raw access: a Keyv record has no fingerprint short of reading it whole. */
  readonly peekMany?: (keys: readonly string[]) => Promise<Array<Buffer | undefined>>;
  readonly leases: LeaseBackend | undefined;
  readonly tracking: StoreTracking | undefined;
  readonly #connection: KeyvStoreOptions['connection'];
  /** Settles when the Redis client's connection attempt in flight (if any) reports `ready` or `error`. */
  #dialing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /** Wraps a Keyv storage adapter in a Keyv instance configured for bytes (see the class docs). */
  static fromAdapter(adapter: KeyvStoreAdapter | Map<unknown, unknown>, options: KeyvAdapterOptions = {}): KeyvStore {
    // (options.raw, when given, must use the same key prefixes as the Keyv instance built here.)
    const keyv = new Keyv(adapter, {
      namespace: options.namespace ?? DEFAULT_NAMESPACE,
      serialize: serializeRecord,
      deserialize: deserializeRecord,
      throwOnErrors: true,
      // @keyv/redis prefixes keys with the namespace itself; a Keyv prefix on top would double it.
      useKeyPrefix: (adapter as AdapterShape).opts?.dialect !== 'redis',
    });
    return new KeyvStore(keyv, options);
  }

  constructor(keyv: Keyv, options: KeyvStoreOptions = {}) {
    this.keyv = keyv;
    this.leases = options.leases;
    this.tracking = options.tracking;
    this.#connection = options.connection;
    const raw = (this.#raw = options.raw);
    if (raw) {
      this.peekMany = async (keys) => {
        this.#assertOpen();
        return raw.peekMany(keys);
      };
    }
    const adapter = this.#adapter();
    this.kind = options.kind ?? detectKind(adapter);
    keyv.throwOnErrors = true;
    keyv.on('error', ignore);
    if (!this.#connection) this.#watchDialing(adapter);
    const interval = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    if (interval > 0 && isSqlite(adapter)) {
      this.#sweeper = setInterval(() => this.sweepExpired().catch(ignore), interval).unref();
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    this.#assertOpen();
    if (this.#raw) return (await this.#raw.getMany([key]))[0];
    return decode(await this.keyv.get<unknown>(key).catch(foreignType));
  }

  async getMany(keys: readonly string[]): Promise<Array<Buffer | undefined>> {
    this.#assertOpen();
    if (keys.length === 0) return [];
    if (this.#raw) return this.#raw.getMany(keys);
    // Without an adapter getMany, Keyv reads key by key through Promise.allSettled and turns every
    // failure into a miss; reading through get() keeps failures as rejections.
    const values =
      typeof this.#adapter().getMany === 'function'
        ? await this.keyv.getMany<unknown>([...keys])
        : await Promise.all(keys.map((key) => this.keyv.get<unknown>(key).catch(foreignType)));
    return values.map(decode);
  }

  set(key: string, value: Buffer, ttlMs?: number): Promise<void> {
    return this.#write(async () => {
      if (this.#raw) return this.#raw.set(key, value, toTtl(ttlMs));
      const stored = await this.keyv.set(key, value.toString('base64'), toTtl(ttlMs));
      if (stored === false) throw new Error(`The ${this.kind} store did not accept the write of '${key}'.`);
    });
  }

  delete(key: string): Promise<boolean> {
    return this.#write(() => this.keyv.delete(key));
  }

  clear(): Promise<void> {
    return this.#write(() => this.#clear());
  }

  async #clear(): Promise<void> {
    // @keyv/redis's clear() reports failures only through its `error` event, even with throwOnErrors.
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    this.keyv.on('error', onError);
    try {
      await this.keyv.clear();
    } finally {
      this.keyv.off('error', onError);
    }
    if (errors.length > 0) throw errors[0] instanceof Error ? errors[0] : new Error(String(errors[0]));
  }

  /**
   * Deletes expired rows of this store's namespace (SQLite only; other backends expire keys themselves).
   * Runs every `sweepIntervalMs` in the background. Resolves to the number of rows deleted.
   */
  sweepExpired(): Promise<number> {
    return this.#write(() => this.#sweep());
  }

  async #sweep(): Promise<number> {
    const adapter = this.#adapter();
    if (!isSqlite(adapter)) return 0;
    const prefix = this.keyv.useKeyPrefix && this.keyv.namespace ? `${this.keyv.namespace}:` : '';
    // Keyv keeps the expiry inside the JSON record; CASE guards json_extract against foreign non-JSON rows.
    // Raw rows (raw-access.ts) start with their expiry as 8 big-endian bytes.
    const now = Date.now();
    const blob = expiredBlobCondition(now);
    const rows = await adapter.query(
      `DELETE FROM ${adapter.opts.table} WHERE substr(key, 1, ?) = ? ` +
        `AND ((typeof(value) = 'text' AND (CASE WHEN json_valid(value) THEN json_extract(value, '$.expires') END) < ?) OR ${blob.sql}) RETURNING key`,
      prefix.length,
      prefix,
      now,
      blob.param,
    );
    return rows.length;
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Disconnects the backend. Idempotent; never rejects (there is nothing left to do with a failure). */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    clearInterval(this.#sweeper);
    if (this.#connection) {
      await this.#connection.close();
      await this.#raw?.close?.();
      return;
    }
    const adapter = this.#adapter();
    // node-redis does not destroy a socket that is still connecting when the client is destroyed: that
    // socket then connects anyway and keeps the process alive. Let the attempt in flight finish first.
    if (this.#dialing && adapter.client?.isOpen && adapter.client.isReady === false) {
      await settleWithin(this.#dialing, CLOSE_TIMEOUT_MS);
    }
    // A graceful Redis QUIT waits for queued commands, which never drain while Redis is unreachable.
    const forceable = typeof adapter.disconnect === 'function';
    const force = adapter.client?.isReady === false && forceable;
    const disconnected = force ? adapter.disconnect!(true) : this.keyv.disconnect();
    const graceful = await settleWithin(disconnected, CLOSE_TIMEOUT_MS);
    // Connected but silent (a stopped server, a socket that never answers): the QUIT never gets its
    // reply, and the open socket would keep the process alive. Drop the connection instead.
    if (!graceful && !force && forceable) await settleWithin(adapter.disconnect!(true), CLOSE_TIMEOUT_MS);
    await this.#raw?.close?.();
  }

  /** Tracks whether a Redis connection attempt is in flight: from `connect()`/`reconnecting` to `ready`/`error`. */
  #watchDialing(adapter: AdapterShape): void {
    const client = adapter.client;
    if (typeof client?.on !== 'function') return;
    let settle: () => void = ignore;
    const dial = (): void => {
      this.#dialing = new Promise<void>((resolve) => (settle = resolve));
    };
    const settled = (): void => {
      settle();
      this.#dialing = undefined;
    };
    if (!client.isReady) dial();
    client.on('reconnecting', dial);
    client.on('ready', settled);
    client.on('error', settled);
  }

  /**
   * Runs a write, telling the raw access while it is in flight (reads of their own connection wait for it).
   * A connection Larder manages is asked first: it waits for the first connection attempt, and fails fast after.
   */
  async #write<T>(write: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    const ready = this.#connection?.ready();
    const written = ready instanceof Promise ? ready.then(write) : write();
    this.#raw?.track?.(written);
    return written;
  }

  #adapter(): AdapterShape {
    return (this.keyv.store ?? {}) as AdapterShape;
  }

  #assertOpen(): void {
    // Checked before every call: @keyv/redis would otherwise reconnect a closed client on the next command.
    if (this.#closing) throw new Error(`This Larder ${this.kind} store is closed; create a new larder to cache again.`);
  }
}

function detectKind(adapter: AdapterShape): KeyvStoreKind {
  const dialect = adapter.opts?.dialect;
  return dialect === 'sqlite' || dialect === 'redis' ? dialect : 'keyv';
}

function isSqlite(adapter: AdapterShape): adapter is AdapterShape & Required<Pick<AdapterShape, 'query'>> & {
  opts: { table: string };
} {
  return adapter.opts?.dialect === 'sqlite' && typeof adapter.query === 'function' && typeof adapter.opts.table === 'string';
}

/** Keyv treats a TTL of 0 as "forever" and Redis PX needs an integer: only positive integers reach it. */
function toTtl(ttlMs: number | undefined): number | undefined {
  if (ttlMs === undefined || ttlMs === Infinity) return undefined;
  if (!(ttlMs > 0)) throw new RangeError(`A store TTL is a positive number of milliseconds; got ${String(ttlMs)}.`);
  return Math.ceil(ttlMs);
}

function decode(value: unknown): Buffer | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  // Not written by Larder: hand back bytes that fail the envelope check, so Larder deletes the key.
  return Buffer.from(JSON.stringify(value) ?? '', 'utf8');
}

/**
 * Redis answers WRONGTYPE when another program turned the key into a list, a hash…: that is a foreign
 * value under Larder's key, read as bytes that fail the envelope check so that it is deleted and
 * written again, not an outage that would leave the key broken for good.
 */
function foreignType(error: unknown): Uint8Array {
  if (/^WRONGTYPE/.test(error instanceof Error ? error.message : String(error))) return new TextEncoder().encode('WRONGTYPE');
  throw error;
}

/** Plain JSON: the value is already a base64 string, so Keyv's Buffer-aware serializer has nothing to do. */
function serializeRecord<Value>(data: DeserializedData<Value>): string {
  return JSON.stringify(data);
}

function deserializeRecord<Value>(text: string): DeserializedData<Value> | undefined {
  try {
    return JSON.parse(text) as DeserializedData<Value>;
  } catch {
    // A foreign row: surface it as bytes that fail Larder's integrity check, so it is deleted.
    return { value: text as Value };
  }
}

function ignore(): void {}
