import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Keyv, type KeyvStoreAdapter } from 'keyv';
import type { Clock } from '../../clock.js';
import { StoreConfigError, typeName } from '../../errors.js';
import type { Store } from '../store.js';
import { sqliteRawAccess } from './raw-access.js';
import { PreparedReads, type Rows, type Sqlite3Module } from './sqlite-reads.js';
import { DEFAULT_NAMESPACE, KeyvStore } from './keyv-store.js';
import { MemoryStore, type EvictionReason } from './memory-store.js';
import { redisStore, type RedisModules } from './redis-store.js';
import { sqliteLeases } from './sqlite-lease.js';
import { chooseNamespace, invalidStore as invalid, redact, splitStoreParams } from './store-url.js';

/**
 * What the `store` option accepts: a store URL, a Keyv instance, a Keyv storage adapter, or a {@link Store}.
 * (`object` keeps adapters and Keyv instances from another copy of keyv assignable.)
 */
export type StoreOption = string | Store | Keyv | KeyvStoreAdapter | object;

/** Larder-level settings {@link resolveStore} applies to the store it creates. */
export interface ResolveStoreSettings {
  /** Entry bound of the memory store. */
  maxEntries?: number;
  /** Byte bound of the memory store. @default DEFAULT_MAX_BYTES */
  maxBytes?: number;
  /** Time source of the memory store's TTLs. */
  clock: Clock;
  /** Keyv namespace for the stores created here (not applied to a Keyv instance you pass). @default 'larder' */
  namespace?: string;
  /** Memory store evictions. */
  onEvict?: (key: string, reason: EvictionReason) => void;
  /** @internal Seam for tests: loads the optional adapters (`require` by default). */
  loadModule?: (specifier: string) => unknown;
}

const SQLITE_BUSY_TIMEOUT_MS = 1_000;

const requireOptional = createRequire(import.meta.url);

/**
 * Turns the `store` option into a {@link Store}. Synchronous, so `createLarder` can be too: adapters
 * connect in the background, and a backend that is down makes operations reject, never this call.
 *
 * - `undefined`, `''` or `'memory://'` → {@link MemoryStore} bounded by `maxEntries`/`maxBytes`;
 * - `'sqlite://./relative.sqlite'`, `'sqlite:///absolute.sqlite'` → `@keyv/sqlite` (parent directory created);
 * - `'redis://[user:password@]host:port[/db]'`, `'rediss://…[?ca=<PEM file>]'` → `@keyv/redis` (redis-store.ts);
 * - either with `?namespace=<prefix>`;
 * - a Keyv instance, a Keyv storage adapter, or an object that already implements {@link Store}.
 *
 * @throws StoreConfigError for an unknown scheme or value, or an adapter package that is not installed.
 * @example resolveStore(process.env.LARDER_STORE, { clock: systemClock })
 */
export function resolveStore(option: StoreOption | undefined, settings: ResolveStoreSettings): Store {
  if (option === undefined) return memoryStore(settings);
  if (typeof option === 'string') return fromUrl(option.trim(), settings);
  if (typeof option === 'object' && option !== null) {
    if (isStore(option)) return option;
    if (isKeyv(option)) return new KeyvStore(option);
    if (isAdapter(option)) return KeyvStore.fromAdapter(option, { namespace: settings.namespace });
  }
  throw invalid(`${typeName(option)} is not a store`);
}

function fromUrl(url: string, settings: ResolveStoreSettings): Store {
  if (url === '' || url === 'memory://') return memoryStore(settings);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') return sqliteStore(url, settings);
  if (scheme === 'redis' || scheme === 'rediss') {
    const modules: RedisModules = {
      keyvRedis: load<RedisModules['keyvRedis']>('@keyv/redis', url, settings),
      client: loadBeside<RedisModules['client']>('@redis/client', '@keyv/redis', url, settings),
    };
    return redisStore(url, settings.namespace, DEFAULT_NAMESPACE, modules);
  }
  throw invalid(`${JSON.stringify(redact(url))} is not a supported store URL` + (scheme ? ` (unknown scheme '${scheme}://')` : ''));
}

function memoryStore(settings: ResolveStoreSettings): Store {
  const { maxEntries, maxBytes, clock, onEvict } = settings;
  return new MemoryStore({ maxEntries, maxBytes, clock, onEvict });
}

function sqliteStore(url: string, settings: ResolveStoreSettings): Store {
  const { url: bare, params } = splitStoreParams(url, false);
  const path = bare.slice('sqlite://'.length);
  if (path === '') throw invalid(`${JSON.stringify(url)} has no file path`);
  const namespace = chooseNamespace(url, settings.namespace, params.namespace) ?? DEFAULT_NAMESPACE;
  const file = path === ':memory:' ? path : resolve(path);
  const { KeyvSqlite } = load<typeof import('@keyv/sqlite')>('@keyv/sqlite', url, settings);
  if (file !== ':memory:') {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (cause) {
      throw new StoreConfigError(`Invalid option 'store': cannot create the directory of ${file} (${String(cause)}).`, { cause });
    }
  }
  const open = () => new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: SQLITE_BUSY_TIMEOUT_MS });
  const adapter = open();
  if (file !== ':memory:') connectPatiently(adapter, open);
  // WAL: the processes sharing the file read while another writes, and a commit is no disk flush
  // (synchronous=NORMAL: a power loss may drop the last writes, never the file's integrity). A lease then
  // costs a fraction of a millisecond instead of an fsync. The file opens in the background.
  const opening = file === ':memory:' ? adapter.query('SELECT 1') : walMode(adapter);
  const raw = sqliteRawAccess(adapter as unknown as Parameters<typeof sqliteRawAccess>[0], namespace, undefined, preparedReads(file, adapter, opening));
  const leases = sqliteLeases(adapter as unknown as Parameters<typeof sqliteLeases>[0], namespace);
  const store = KeyvStore.fromAdapter(adapter, { kind: 'sqlite', namespace, raw, leases });
  // An open failure is named once here (unless the store was closed first), then reported by the larder's `error` events.
  opening.catch((error: unknown) => {
    if (store.closed) return;
    process.emitWarning(
      `Larder cannot open its SQLite store at ${file}: ${error instanceof Error ? error.message : String(error)}. ` +
        `Cached calls and routes run uncached; failures are reported as 'error' events of the larder.`,
      { code: 'LARDER_STORE_UNREACHABLE' },
    );
  });
  return store;
}

/** Attempts at opening a file, or switching it to WAL, while other connections open it too. */
const BUSY_ATTEMPTS = 40;

/** What connectPatiently needs of a @keyv/sqlite adapter: its two connection-bound methods, and its events. */
interface SqliteConnection {
  query(sql: string, ...params: unknown[]): Promise<unknown>;
  close(): Promise<void>;
  on(event: 'error', listener: () => void): unknown;
}

/**
 * @keyv/sqlite creates its table once, as it connects, and keeps a failure of that for good: every query
 * after it rejects. When processes open one new file at once, SQLite answers that first statement
 * SQLITE_BUSY (at once, without its busy handler, when two of them would otherwise deadlock). So until a
 * connection has answered, a busy one is replaced by a new one, a little later each time (about 4 s in
 * all); the adapter's queries and close go to the connection that answered.
 */
function connectPatiently(adapter: SqliteConnection, open: () => SqliteConnection): void {
  const ready = (async () => {
    let connection: SqliteConnection = { query: adapter.query, close: adapter.close, on: () => undefined };
    for (let attempt = 1; ; attempt++) {
      try {
        await connection.query('SELECT 1');
        return connection;
      } catch (error) {
        // Anything else, or too many: the adapter's queries fail as they would have (and are reported).
        if (attempt >= BUSY_ATTEMPTS || !isBusy(error)) return connection;
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt));
        connection = open();
        // An EventEmitter's unheard 'error' would throw: the failure is the query's, handled above.
        connection.on('error', () => undefined);
      }
    }
  })();
  adapter.query = async (sql, ...params) => (await ready).query(sql, ...params);
  adapter.close = async () => (await ready).close();
}

function isBusy(error: unknown): boolean {
  return /SQLITE_BUSY|database is locked/i.test(String((error as Error | undefined)?.message ?? error));
}

/**
 * Puts the file in WAL mode. Switching needs the file to itself: when several processes open one file at
 * once, SQLite answers SQLITE_BUSY at once (its busy handler is not called for this), and the switch one of
 * them made serves the others too. So a busy file is asked again, a little later each time (about 4 s in all).
 */
async function walMode(adapter: { query(sql: string): Promise<unknown> }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await adapter.query('PRAGMA journal_mode = WAL');
      break;
    } catch (error) {
      if (attempt >= BUSY_ATTEMPTS || !isBusy(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt));
    }
  }
  await adapter.query('PRAGMA synchronous = NORMAL');
}

/**
 * Reads of a SQLite file through statements prepared once (sqlite-reads.ts), with the driver @keyv/sqlite
 * itself uses; undefined for `:memory:` (a second connection would open another database) or when that
 * driver cannot be loaded, and reads then go through the adapter. They start once the file is open (in WAL mode).
 */
function preparedReads(file: string, adapter: { query(sql: string, ...params: unknown[]): Promise<unknown> }, opening: Promise<unknown>): PreparedReads | undefined {
  if (file === ':memory:') return undefined;
  let sqlite3: Sqlite3Module;
  try {
    sqlite3 = createRequire(requireOptional.resolve('@keyv/sqlite'))('sqlite3') as Sqlite3Module;
  } catch {
    return undefined;
  }
  return new PreparedReads({
    file,
    sqlite3,
    busyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS,
    ready: () => opening,
    fallback: (sql, ...params) => adapter.query(sql, ...params) as Promise<Rows>,
  });
}

function load<Module>(name: string, url: string, settings: ResolveStoreSettings): Module {
  try {
    return (settings.loadModule ?? requireOptional)(name) as Module;
  } catch (cause) {
    const missing = (cause as { code?: string }).code?.endsWith('MODULE_NOT_FOUND') && String(cause).includes(`'${name}'`);
    throw new StoreConfigError(
      missing
        ? `Invalid option 'store': ${JSON.stringify(redact(url))} needs the optional package ${name}, which is not installed. ` +
            `Run: npm install ${name}`
        : `Invalid option 'store': could not load ${name} for ${JSON.stringify(redact(url))}: ${String(cause)}`,
      { cause },
    );
  }
}

/** A dependency of an optional package (node-redis, which @keyv/redis is built on), resolved from where that package is. */
function loadBeside<Module>(name: string, owner: string, url: string, settings: ResolveStoreSettings): Module {
  if (settings.loadModule) return load<Module>(name, url, settings);
  try {
    return createRequire(requireOptional.resolve(owner))(name) as Module;
  } catch (cause) {
    throw new StoreConfigError(`Invalid option 'store': could not load ${name} (a dependency of ${owner}) for ${JSON.stringify(redact(url))}: ${String(cause)}`, { cause });
  }
}

function isStore(value: object): value is Store {
  const v = value as Partial<Record<keyof Store, unknown>>;
  return typeof v.kind === 'string' && ['get', 'getMany', 'set', 'delete', 'clear', 'close'].every((m) => typeof v[m as keyof Store] === 'function');
}

/** Duck-typed as well as `instanceof`: the CommonJS and ESM builds of keyv are different classes. */
function isKeyv(value: object): value is Keyv {
  if (value instanceof Keyv) return true;
  const v = value as Record<string, unknown>;
  return 'hooks' in v && 'opts' in v && 'store' in v && typeof v.getMany === 'function' && typeof v.disconnect === 'function';
}

function isAdapter(value: object): value is KeyvStoreAdapter {
  const v = value as Record<string, unknown>;
  return value instanceof Map || ['get', 'set', 'delete', 'clear'].every((m) => typeof v[m] === 'function');
}
