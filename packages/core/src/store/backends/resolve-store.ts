import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Keyv, type KeyvStoreAdapter } from 'keyv';
import type { Clock } from '../../clock.js';
import { StoreConfigError, typeName } from '../../errors.js';
import type { Store } from '../store.js';
import { redisRawAccess, sqliteRawAccess } from './raw-access.js';
import { PreparedReads, type Rows, type Sqlite3Module } from './sqlite-reads.js';
import { DEFAULT_NAMESPACE, KeyvStore } from './keyv-store.js';
import { MemoryStore, type EvictionReason } from './memory-store.js';

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

const EXAMPLES =
  `Use one of:\n` +
  `  store: 'memory://'                          (in-process, the default)\n` +
  `  store: 'sqlite://./.larder/cache.sqlite'    (a file relative to the working directory)\n` +
  `  store: 'sqlite:///var/cache/larder.sqlite'  (an absolute path)\n` +
  `  store: 'redis://localhost:6379'             ('redis://host:6379/2' for database 2, 'rediss://' for TLS)\n` +
  `or pass a Keyv instance or a Keyv storage adapter, e.g. store: new Keyv(new KeyvPostgres(url)).`;

/** Between reconnection attempts while Redis is unreachable: quick at first, never more than ~1 s. */
const redisBackoff = (retries: number): number => Math.min(50 * 2 ** retries, 1_000) + Math.floor(Math.random() * 100);
const REDIS_CONNECT_TIMEOUT_MS = 2_000;
/**
 * Commands node-redis may hold waiting for replies: a server that accepts and stops answering (SIGSTOP,
 * a silent proxy) would otherwise collect every command sent meanwhile. Past it, commands fail at once.
 */
const REDIS_QUEUE_MAX = 10_000;
const SQLITE_BUSY_TIMEOUT_MS = 1_000;

const requireOptional = createRequire(import.meta.url);

/**
 * Turns the `store` option into a {@link Store}. Synchronous, so `createLarder` can be too: adapters
 * connect in the background, and a backend that is down makes operations reject, never this call.
 *
 * - `undefined`, `''` or `'memory://'` → {@link MemoryStore} bounded by `maxEntries`/`maxBytes`;
 * - `'sqlite://./relative.sqlite'`, `'sqlite:///absolute.sqlite'` → `@keyv/sqlite` (parent directory created);
 * - `'redis://host:port[/db]'`, `'rediss://…'` → `@keyv/redis`, failing fast while disconnected;
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
  if (scheme === 'sqlite') return sqliteStore(url, url.slice('sqlite://'.length), settings);
  if (scheme === 'redis' || scheme === 'rediss') return redisStore(url, settings);
  throw invalid(`${JSON.stringify(redact(url))} is not a supported store URL` + (scheme ? ` (unknown scheme '${scheme}://')` : ''));
}

function memoryStore(settings: ResolveStoreSettings): Store {
  const { maxEntries, maxBytes, clock, onEvict } = settings;
  return new MemoryStore({ maxEntries, maxBytes, clock, onEvict });
}

function sqliteStore(url: string, path: string, settings: ResolveStoreSettings): Store {
  if (path === '') throw invalid(`${JSON.stringify(url)} has no file path`);
  const file = path === ':memory:' ? path : resolve(path);
  const { KeyvSqlite } = load<typeof import('@keyv/sqlite')>('@keyv/sqlite', url, settings);
  if (file !== ':memory:') {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (cause) {
      throw new StoreConfigError(`Invalid option 'store': cannot create the directory of ${file} (${String(cause)}).`, { cause });
    }
  }
  const adapter = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: SQLITE_BUSY_TIMEOUT_MS });
  // The file opens in the background; without a consumer, an open failure would be an unhandled rejection.
  adapter.query('SELECT 1').catch(ignore);
  const namespace = settings.namespace ?? DEFAULT_NAMESPACE;
  const raw = sqliteRawAccess(adapter as unknown as Parameters<typeof sqliteRawAccess>[0], namespace, undefined, preparedReads(file, adapter));
  return KeyvStore.fromAdapter(adapter, { kind: 'sqlite', namespace, raw });
}

/**
 * Reads of a SQLite file through statements prepared once (sqlite-reads.ts), with the driver @keyv/sqlite
 * itself uses; undefined for `:memory:` (a second connection would open another database) or when that
 * driver cannot be loaded, and reads then go through the adapter.
 */
function preparedReads(file: string, adapter: { query(sql: string, ...params: unknown[]): Promise<unknown> }): PreparedReads | undefined {
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
    ready: () => adapter.query('SELECT 1'),
    fallback: (sql, ...params) => adapter.query(sql, ...params) as Promise<Rows>,
  });
}

function redisStore(url: string, settings: ResolveStoreSettings): Store {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw invalid(`${JSON.stringify(redact(url))} is not a valid URL`, cause);
  }
  if (!/^\/?(\d+)?$/.test(parsed.pathname)) throw invalid(`the database in ${JSON.stringify(redact(url))} must be a number`);
  const { default: KeyvRedis, createClient } = load<typeof import('@keyv/redis')>('@keyv/redis', url, settings);
  const namespace = settings.namespace ?? DEFAULT_NAMESPACE;
  // node-redis queues commands forever while disconnected. Reconnect in the background with a bounded delay,
  // and once the first connection attempt is over, reject commands at once while Redis is unreachable.
  const client = createClient({
    url,
    socket: { connectTimeout: REDIS_CONNECT_TIMEOUT_MS, reconnectStrategy: redisBackoff },
    commandsQueueMaxLength: REDIS_QUEUE_MAX,
  });
  const failFast = (): void => {
    client.options!.disableOfflineQueue = true;
    client.off('ready', failFast).off('error', failFast);
  };
  // Every failed attempt emits `error`; an EventEmitter with no listener would throw it.
  client.on('error', ignore).on('ready', failFast).on('error', failFast);
  const adapter = new KeyvRedis(client, { namespace, throwOnErrors: true, throwOnConnectError: true });
  const raw = redisRawAccess(client as unknown as Parameters<typeof redisRawAccess>[0], namespace);
  const store = KeyvStore.fromAdapter(adapter, { kind: 'redis', namespace, raw });
  // Connected eagerly, so @keyv/redis never awaits connect() inside a command.
  client.connect().catch(ignore);
  return store;
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

function invalid(problem: string, cause?: unknown): StoreConfigError {
  return new StoreConfigError(`Invalid option 'store': ${problem}.\n${EXAMPLES}`, { cause });
}

/** Store URLs often carry a password; error messages end up in logs. */
function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
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

function ignore(): void {}
