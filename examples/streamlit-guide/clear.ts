/**
 * Clearing caches:
 *
 *   load_data.clear()          # one function (Streamlit 1.28+: load_data.clear(url) for one entry)
 *   st.cache_data.clear()      # every st.cache_data function ("Clear All" of the API reference:
 *                              # square and cube both run again)
 *   init_connection.clear()    # release the resource (st.cache_resource)
 *   st.cache_resource.clear()  # release every resource
 *
 * Larder clears data across every process sharing the store (SQLite, Redis), not just this one;
 * resources live in each process, and are released there.
 */
import { cacheData, cacheResource } from '@larder/core';
import { runIfMain } from './run.js';

export const runs = { loadData: 0, loadOther: 0, square: 0, cube: 0 };
export const released: string[] = [];

export const loadData = cacheData(function loadData(url: string) {
  runs.loadData++;
  return `rows of ${url}`;
});

export const loadOther = cacheData(function loadOther() {
  runs.loadOther++;
  return 'other rows';
});

export const initConnection = cacheResource(function initConnection(dsn: string) {
  return { dsn, open: true };
}, { onRelease: (conn) => void released.push(conn.dsn) });

// The API reference's example: a "Clear All" button clears both.
export const square = cacheData(function square(x: number) {
  runs.square++;
  return x ** 2;
});

export const cube = cacheData(function cube(x: number) {
  runs.cube++;
  return x ** 3;
});

export const loadModel = cacheResource(function loadModel(name: string) {
  return { name, weights: [0.1, 0.2] };
}, { onRelease: (model) => void released.push(`model ${model.name}`) });

/** What the "Clear All" button of an admin route would call: every data cache and every resource. */
export async function clearAll(): Promise<void> {
  await cacheData.clear();
  await cacheResource.clear();
}

async function main(): Promise<void> {
  await Promise.all([loadData('a.csv'), loadData('b.csv'), loadOther()]);
  await loadData.clear('a.csv'); // one entry
  await Promise.all([loadData('a.csv'), loadData('b.csv')]);
  console.log(`after loadData.clear('a.csv'): loadData ran ${runs.loadData} times (a.csv twice)`);

  await loadData.clear(); // the whole function
  await cacheData.clear(); // every cacheData function of the default larder
  await Promise.all([loadData('a.csv'), loadOther()]);
  console.log(`after cacheData.clear(): loadData ran ${runs.loadData}, loadOther ${runs.loadOther} times`);

  await initConnection('postgres://db');
  await initConnection.clear();
  console.log('released:', released);

  await Promise.all([square(3), cube(3), loadModel('sentiment')]);
  await clearAll(); // st.cache_data.clear() and st.cache_resource.clear()
  await Promise.all([square(3), cube(3)]);
  console.log(`after Clear All: square ran ${runs.square} times, cube ${runs.cube} times; released ${released.at(-1)}`);
}

await runIfMain(import.meta.url, main);
