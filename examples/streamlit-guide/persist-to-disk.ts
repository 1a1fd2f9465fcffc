/**
 * `persist`, from the st.cache_data API reference:
 *
 *   @st.cache_data(persist="disk")
 *   def fetch_and_clean_data(url):
 *       # Fetch data from URL here, and then clean it up.
 *       return data
 *
 * In Larder persistence belongs to the store, not to each function: a larder on SQLite keeps every
 * entry on disk across restarts ('redis://…' also shares them between processes). Run this program
 * twice: the second run reads what the first stored. `persist: 'disk'` itself is rejected with a
 * message that says so, as every option Larder does not know is.
 *
 *   GUIDE_STORE=sqlite:///tmp/guide.sqlite node --import tsx examples/streamlit-guide/persist-to-disk.ts
 */
import { BadOptionError, cacheData, configure, defaultLarder } from '@larder/core';
import { runIfMain } from './run.js';

export const runs = { fetchAndCleanData: 0 };

export const fetchAndCleanData = cacheData(
  async function fetchAndCleanData(url: string) {
    runs.fetchAndCleanData++;
    // Fetch data from the URL here, and then clean it up.
    return { url, rows: [{ city: 'Lisbon', rides: 1234 }, { city: 'Porto', rides: 567 }], cleanedAt: new Date(0) };
  },
  { ttl: '1d' },
);

/** What Streamlit's spelling gets: the error, naming the Larder way. */
export function persistOption(): BadOptionError {
  try {
    cacheData(async function fetchAndCleanData(url: string) { return url; }, { persist: 'disk' } as never);
  } catch (error) {
    return error as BadOptionError;
  }
  throw new Error('persist was accepted');
}

async function main(): Promise<void> {
  configure({ store: process.env.GUIDE_STORE ?? 'sqlite://./.larder/streamlit-guide.sqlite', storeTimeout: '10s' });
  console.log(persistOption().message.split('. Example')[0]);
  // A computed result is written in the background: wait for it before the program exits.
  const stored = new Promise((resolve) => defaultLarder().once('set', resolve));
  const data = await fetchAndCleanData('https://example.com/rides.csv');
  if (runs.fetchAndCleanData > 0) await stored;
  console.log(`${data.rows.length} rows; fetchAndCleanData ran ${runs.fetchAndCleanData} time(s) in this process`);
}

await runIfMain(import.meta.url, main);
