// The function caches of the function-cache scenario, each set up the way its documentation shows for
// a function of several (or object) arguments, behind one shape: wrap a function, call it with an
// argument list, close. Peers are imported only when a case needs them.
import { existsSync } from 'node:fs';

/** A function under test: what a cache wraps. */
export type Fn = (...args: any[]) => Promise<unknown>;

/** A cache wrapped around one function. */
export interface Wrapped {
  call(args: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

export interface Contender {
  id: ContenderId;
  /** How it turns the arguments into a key, for the tables. */
  keying: string;
  /** Needs the built @larder/core. */
  larder: boolean;
  wrap(fn: Fn, env: Env): Promise<Wrapped>;
}

/** What contenders share within one probe process. */
export interface Env {
  /** A SQLite file for the Larder SQLite store; the prepared-SELECT floor reads the same file. */
  sqliteFile: string;
}

export type ContenderId =
  | 'larder-data'
  | 'larder-data-sqlite'
  | 'larder-resource'
  | 'sqlite-select'
  | 'p-memoize'
  | 'bentocache'
  | 'cacheable'
  | 'async-cache-dedupe'
  | 'lru-cache';

const HOUR_MS = 3_600_000;

/** A Larder contender: `cacheData` or `cacheResource` on a larder of its own, on the store `storeOf(env)`. */
function larderContender(id: ContenderId, wrapper: 'cacheData' | 'cacheResource', storeOf: (env: Env) => string): Contender {
  return {
    id,
    keying: 'hashArguments (SHA-256 of a typed encoding)',
    larder: true,
    async wrap(fn, env) {
      const core = await import('@larder/core');
      const larder = core.createLarder({ store: storeOf(env) });
      const cached = core[wrapper](fn, { larder, ttl: '1h' });
      return { call: (args) => cached(...args), close: () => larder.close() };
    },
  };
}

const larderData = larderContender('larder-data', 'cacheData', () => 'memory://');
const larderDataSqlite = larderContender('larder-data-sqlite', 'cacheData', (env) => `sqlite://${env.sqliteFile}`);
const larderResource = larderContender('larder-resource', 'cacheResource', () => 'memory://');

/**
 * The floor of the SQLite hit: the row Larder stored for the call, read with a statement prepared
 * once, through the same driver (sqlite3) Larder's SQLite store uses. It returns the row's bytes
 * without decoding them, so it is not a cache; it must come after `larder-data-sqlite` in a run.
 */
const sqliteSelect: Contender = {
  id: 'sqlite-select',
  keying: 'the Larder entry row, by its key',
  larder: false,
  async wrap(_fn, env) {
    if (!existsSync(env.sqliteFile)) throw new Error('sqlite-select reads the row larder-data-sqlite wrote: run it after that contender');
    const sqlite3 = (await import('sqlite3')).default;
    const db = await new Promise<import('sqlite3').Database>((resolve, reject) => {
      const opened = new sqlite3.Database(env.sqliteFile, sqlite3.OPEN_READONLY, (error) => (error ? reject(error) : resolve(opened)));
    });
    const all = (sql: string) =>
      new Promise<Array<{ key: string }>>((resolve, reject) => db.all(sql, (error: Error | null, rows: Array<{ key: string }>) => (error ? reject(error) : resolve(rows))));
    const [entry] = await all(`SELECT key FROM keyv WHERE key LIKE '%:e:%'`);
    if (!entry) throw new Error('sqlite-select: no Larder entry row in the SQLite file');
    const statement = db.prepare('SELECT value FROM keyv WHERE key = ?');
    return {
      call: () =>
        new Promise((resolve, reject) => statement.get(entry.key, (error: Error | null, row: unknown) => (error ? reject(error) : resolve(row)))),
      close: () => new Promise<void>((resolve) => statement.finalize(() => db.close(() => resolve()))),
    };
  },
};

const pMemoize: Contender = {
  id: 'p-memoize',
  keying: 'cacheKey: JSON.stringify of the arguments (its README example)',
  larder: false,
  async wrap(fn) {
    const { default: memoize } = await import('p-memoize');
    const cached = memoize(fn, { cacheKey: (args: unknown[]) => JSON.stringify(args) });
    return { call: (args) => cached(...args), close: async () => {} };
  },
};

const bentocache: Contender = {
  id: 'bentocache',
  keying: 'key: JSON.stringify of the arguments',
  larder: false,
  async wrap(fn) {
    const { BentoCache, bentostore } = await import('bentocache');
    const { memoryDriver } = await import('bentocache/drivers/memory');
    const bento = new BentoCache({ default: 'memory', stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 10_000 })) } });
    return {
      call: (args) => bento.getOrSet({ key: JSON.stringify(args), factory: () => fn(...args), ttl: HOUR_MS }),
      close: () => bento.disconnectAll(),
    };
  },
};

const cacheable: Contender = {
  id: 'cacheable',
  keying: 'wrap(): a hash of JSON.stringify of the arguments',
  larder: false,
  async wrap(fn) {
    const { Cacheable } = await import('cacheable');
    const cache = new Cacheable({ ttl: HOUR_MS });
    const cached = cache.wrap(fn, { ttl: HOUR_MS });
    return { call: (args) => cached(...args), close: () => cache.disconnect() };
  },
};

const asyncCacheDedupe: Contender = {
  id: 'async-cache-dedupe',
  keying: 'its one argument (the argument list) through safe-stable-stringify',
  larder: false,
  async wrap(fn) {
    const { createCache } = await import('async-cache-dedupe');
    const cache = createCache({ ttl: HOUR_MS / 1000, storage: { type: 'memory' } }).define('fn', (args: unknown[]) => fn(...args));
    return { call: (args) => cache.fn(args), close: async () => {} };
  },
};

const lruCache: Contender = {
  id: 'lru-cache',
  keying: 'fetch(key): JSON.stringify of the arguments, fetchMethod calls the function',
  larder: false,
  async wrap(fn) {
    const { LRUCache } = await import('lru-cache');
    const cache = new LRUCache<string, object, unknown[]>({
      max: 10_000,
      ttl: HOUR_MS,
      fetchMethod: (_key, _stale, { context }) => fn(...context) as Promise<object>,
    });
    return { call: (args) => cache.fetch(JSON.stringify(args), { context: args }), close: async () => {} };
  },
};

export const CONTENDERS: Record<ContenderId, Contender> = {
  'larder-data': larderData,
  'larder-data-sqlite': larderDataSqlite,
  'larder-resource': larderResource,
  'sqlite-select': sqliteSelect,
  'p-memoize': pMemoize,
  bentocache,
  cacheable,
  'async-cache-dedupe': asyncCacheDedupe,
  'lru-cache': lruCache,
};

/** The function caches compared on every hit case, Larder's first. */
export const CACHES: readonly ContenderId[] = [
  'larder-data',
  'larder-resource',
  'p-memoize',
  'bentocache',
  'cacheable',
  'async-cache-dedupe',
  'lru-cache',
];
