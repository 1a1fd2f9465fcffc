/**
 * Excluding input parameters: a parameter whose name starts with `_` is not hashed.
 *
 *   @st.cache_data
 *   def fetch_data(_db_connection, num_rows):  # 👈 Don't hash _db_connection
 *       data = _db_connection.fetch(num_rows)
 *       return data
 *
 *   connection = init_connection()
 *   fetch_data(connection, 10)
 *
 * Larder reads the parameter names from the function's source, as Streamlit reads the signature.
 */
import { cacheData, UnhashableParamError } from '@larder/core';
import { CityDb, type ReviewRow } from '../shared/city-db.js';
import { runIfMain } from './run.js';

export const runs = { fetchData: 0 };

export const fetchData = cacheData(async function fetchData(_dbConnection: CityDb, numRows: number) {
  runs.fetchData++;
  return _dbConnection.all<ReviewRow>('SELECT id, rating, text FROM reviews ORDER BY id LIMIT ?', [numRows]);
});

/** The same function without the underscore: the connection must be hashed, and cannot be. */
export const fetchDataHashingTheConnection = cacheData(async function fetchDataHashingTheConnection(dbConnection: CityDb, numRows: number) {
  return dbConnection.all<ReviewRow>('SELECT id FROM reviews LIMIT ?', [numRows]);
});

async function main(): Promise<void> {
  const connection = await CityDb.open();
  const replica = await CityDb.open();
  try {
    console.log((await fetchData(connection, 3)).map((row) => row.text));
    await fetchData(connection, 3); // cached: only numRows is in the key
    await fetchData(replica, 3); // another connection, still cached
    console.log(`fetchData ran ${runs.fetchData} time for 3 calls`);
    await fetchDataHashingTheConnection(connection, 3).catch((error: UnhashableParamError) => console.log(error.message));
  } finally {
    await Promise.all([connection.close(), replica.close()]);
  }
}

await runIfMain(import.meta.url, main);
