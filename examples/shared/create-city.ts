/**
 * Everything both example apps share, wired to one larder: the store, the rides dataset behind
 * `cacheData`, the sentiment model behind `cacheResource`, and the database in the resource registry.
 * The Express and Koa apps add only their routes.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { cacheData, cacheResource, createLarder, type Clock, type Larder, type StoreOption } from '@larder/core';
import { CityDb } from './city-db.js';
import { readRidesCsv, type RideTable } from './rides.js';
import { loadSentimentModel, type SentimentModel } from './sentiment-model.js';

/** The embedded, persistent store the quick start uses (created on first run). */
export const DEFAULT_STORE = 'sqlite://./.larder/cache.sqlite';

export interface CityOptions {
  /**
   * Where cached entries live. `'memory://'` in tests, `'redis://localhost:6379'` to share one cache
   * between several app instances.
   * @default process.env.LARDER_STORE ?? 'sqlite://./.larder/cache.sqlite'
   */
  store?: StoreOption;
  /** How many rides to generate into the CSV file. @default 200_000 */
  rows?: number;
  /** Where the CSV file and the database go (relative to the working directory). @default '.larder' */
  dataDir?: string;
  /** Time source of every TTL; tests pass one they can move forward. @default Date.now */
  clock?: Clock;
}

export interface City {
  larder: Larder;
  /** The CSV file the rides are loaded from. */
  csvPath: string;
  rows: number;
  /** The rides table: parsed once, then a fresh copy from the data cache on every call. */
  rides(): Promise<RideTable>;
  /** The shared sentiment model (created on first use). */
  model(): Promise<SentimentModel>;
  /** How often the database was opened (stays at 1 however many routes use it) and queried. */
  dbUsage(): { opens: number; queries: number };
}

export function createCity(options: CityOptions = {}): City {
  const rows = options.rows ?? 200_000;
  const dataDir = resolve(options.dataDir ?? '.larder');
  const csvPath = resolve(dataDir, `rides-${rows}.csv`);
  const larder = createLarder({
    store: options.store ?? process.env.LARDER_STORE ?? DEFAULT_STORE,
    // The parsed dataset is a ~6 MB entry: reading it back from SQLite, or reading anything while it
    // is being written, can take longer than the default 100 ms, and a read that times out is a miss.
    storeTimeout: '1s',
    clock: options.clock,
  });
  let dbOpens = 0;
  let db: CityDb | undefined;

  // st.cache_resource's database connection, by name: every route asks the registry for 'db' and
  // gets this one connection; `larder.close()` closes it.
  larder.resources.register(
    'db',
    async () => {
      dbOpens++;
      await mkdir(dataDir, { recursive: true });
      db = await CityDb.open({ file: resolve(dataDir, 'city.sqlite') });
      return db;
    },
    { dispose: (db) => db.close() },
  );

  // st.cache_data: the slow load (generate on first run, then read and parse the CSV) runs once;
  // every later call, in this process or after a restart on the SQLite store, gets a copy.
  const loadRides = cacheData(
    async function loadRides(path: string, count: number) {
      return readRidesCsv(path, count);
    },
    { larder, ttl: '1d', maxEntries: 4 },
  );

  // st.cache_resource: one model object for the whole app, never copied.
  const loadModel = cacheResource(
    function loadModel() {
      return loadSentimentModel();
    },
    { larder },
  );

  return {
    larder,
    csvPath,
    rows,
    rides: () => loadRides(csvPath, rows),
    model: () => loadModel(),
    // Read without `resources.get('db')`, which would open the database just to report on it.
    dbUsage: () => ({ opens: dbOpens, queries: db?.queries ?? 0 }),
  };
}
