/**
 * Clearing caches:
 *
 *   load_data.clear()          # one function (Streamlit 1.28+: load_data.clear(url) for one entry)
 *   st.cache_data.clear()      # every st.cache_data function
 *   init_connection.clear()    # release the resource (st.cache_resource)
 *
 * Larder clears across every process sharing the store (SQLite, Redis), not just this one.
 */
import { cacheData, cacheResource } from '@larder/core';
import { runIfMain } from './run.js';

export const runs = { loadData: 0, loadOther: 0 };
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
}

await runIfMain(import.meta.url, main);
