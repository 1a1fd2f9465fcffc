/**
 * Database queries, with a TTL so new rows show up:
 *
 *   @st.cache_resource
 *   def init_connection(): ...
 *
 *   @st.cache_data(ttl=600)
 *   def run_query(query):
 *       with conn.cursor() as cur:
 *           cur.execute(query)
 *           return cur.fetchall()
 *
 * `ttl: 600` is seconds, as in Streamlit ('10m' works too). The larder here gets a clock the
 * program can move forward, so the demo need not wait ten minutes; an app leaves `clock` out.
 */
import { cacheData, cacheResource, createLarder } from '@larder/core';
import { CityDb } from '../shared/city-db.js';
import { manualClock, runIfMain } from './run.js';

export const clock = manualClock();
export const larder = createLarder({ clock });

export const initConnection = cacheResource(
  function initConnection() {
    return CityDb.open();
  },
  { larder, onRelease: (db) => db.close() },
);

export const runQuery = cacheData(
  async function runQuery(query: string) {
    const conn = await initConnection();
    return conn.all<Record<string, unknown>>(query);
  },
  { larder, ttl: 600 },
);

export const REVIEW_COUNT = 'SELECT COUNT(*) AS reviews FROM reviews';

async function main(): Promise<void> {
  const conn = await initConnection();
  console.log('reviews:', await runQuery(REVIEW_COUNT)); // runs the query
  await conn.addReview(4, 5, 'Spotless car, smooth ride');
  clock.advance(60_000);
  console.log('reviews, one minute later:', await runQuery(REVIEW_COUNT)); // cached: the new row is not counted yet
  clock.advance(9 * 60_000);
  console.log('reviews, ten minutes later:', await runQuery(REVIEW_COUNT)); // the TTL ran out: the query runs again
  console.log(`the database answered ${conn.queries} queries`);
}

await runIfMain(import.meta.url, main, larder);
