/**
 * Mutation: the copying behaviour of st.cache_data.
 *
 *   @st.cache_resource   # 👈 Turn off copying behavior
 *   def load_data(url):
 *       df = pd.read_csv(url)
 *       return df
 *
 *   df = load_data("…uber-rides-data1.csv")
 *   df.drop(columns=['Lat'], inplace=True)  # 👈 Mutate the dataframe inplace
 *
 * With `cacheResource` the second run gets the very object the first run mutated, and fails:
 * the column is already gone. With `cacheData` every run gets its own copy, and works every time.
 */
import { cacheData, cacheResource } from '@larder/core';
import { seededRandom } from '../shared/random.js';
import { runIfMain } from './run.js';

export type Columns = Record<string, Float64Array>;

/** Uber-like pickups: latitude, longitude and base number, generated from a seed. */
function readPickups(url: string): Columns {
  const random = seededRandom(url.length);
  const rows = 10_000;
  return {
    Lat: Float64Array.from({ length: rows }, () => 40.7 + random.next() * 0.1),
    Lon: Float64Array.from({ length: rows }, () => -74 + random.next() * 0.1),
    Base: Float64Array.from({ length: rows }, () => random.int(1, 5)),
  };
}

/** `df.drop(columns=[name], inplace=True)`, with pandas' error for a missing column. */
export function dropColumn(df: Columns, name: string): void {
  if (!(name in df)) throw new Error(`KeyError: "['${name}'] not found in axis"`);
  delete df[name];
}

export const loadDataShared = cacheResource(function loadDataShared(url: string) {
  return readPickups(url);
});

export const loadData = cacheData(function loadData(url: string) {
  return readPickups(url);
});

export const URL = 'https://example.com/uber-rides-data1.csv';

/** One rerun of the Streamlit script: load, show, drop a column in place. */
export async function rerun(load: (url: string) => Promise<Columns>): Promise<string[]> {
  const df = await load(URL);
  dropColumn(df, 'Lat');
  return Object.keys(df);
}

async function main(): Promise<void> {
  console.log('cacheData, run 1:', await rerun(loadData));
  console.log('cacheData, run 2:', await rerun(loadData));
  console.log('cacheResource, run 1:', await rerun(loadDataShared));
  await rerun(loadDataShared).catch((error: Error) => console.log('cacheResource, run 2:', error.message));
}

await runIfMain(import.meta.url, main);
