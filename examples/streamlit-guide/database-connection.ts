/**
 * Database connections:
 *
 *   @st.cache_resource
 *   def init_connection():
 *       return psycopg2.connect(host=host, database=database, user=user, password=password)
 *
 *   conn = init_connection()
 *
 * Two ways in Larder: `cacheResource` (the same function call, anywhere), or the resource registry
 * (`resources.register('db', …)`, then `resources.get('db')` by name from any route). Both create the
 * connection once, share it, and close it when the larder closes; `validate` replaces a broken one.
 */
import { cacheResource, resources } from '@larder/core';
import { CityDb } from '../shared/city-db.js';
import { runIfMain } from './run.js';

export const opened = { initConnection: 0, registry: 0 };

export const initConnection = cacheResource(
  async function initConnection() {
    opened.initConnection++;
    return CityDb.open();
  },
  {
    // Called on every hit: a closed connection is released and a new one created.
    validate: (conn) => conn.all('SELECT 1').then(() => true, () => false),
    onRelease: (conn) => conn.close().catch(() => {}),
  },
);

/** The registry form: declared once at startup, created on the first `get`. */
export function registerDatabase(): void {
  if (resources.has('city-db')) return;
  resources.register(
    'city-db',
    async () => {
      opened.registry++;
      return CityDb.open();
    },
    { dispose: (conn) => conn.close() },
  );
}

async function main(): Promise<void> {
  const conn = await initConnection();
  console.log('same connection:', (await initConnection()) === conn, `(opened ${opened.initConnection} time)`);

  await conn.close(); // the connection breaks...
  const fresh = await initConnection(); // ...validate notices, and a new one is opened
  console.log('after a failure, a new connection:', fresh !== conn, `(opened ${opened.initConnection} times)`);

  registerDatabase();
  const [a, b] = await Promise.all([resources.get<CityDb>('city-db'), resources.get<CityDb>('city-db')]);
  console.log('registry: one connection for concurrent first gets:', a === b, `(opened ${opened.registry} time)`);
}

await runIfMain(import.meta.url, main);
