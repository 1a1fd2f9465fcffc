/**
 * st.cache_data's first example: loading a CSV file into a DataFrame.
 *
 *   @st.cache_data
 *   def load_data(url):
 *       df = pd.read_csv(url)
 *       return df
 *
 * The "download" here is a 50,000-ride CSV file this program generates (seeded: always the same),
 * addressed by a file:// URL. The DataFrame is the columnar table of typed arrays from
 * ../shared/rides.ts: it is stored serialized, and every call gets its own copy.
 */
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cacheData } from '@larder/core';
import { ensureRidesCsv, parseRidesCsv } from '../shared/rides.js';
import { runIfMain, timed } from './run.js';

export const runs = { loadData: 0 };

export const loadData = cacheData(async function loadData(url: string) {
  runs.loadData++;
  return parseRidesCsv(await readFile(fileURLToPath(url), 'utf8'));
});

/** Writes the CSV file (first run only) and returns its file:// URL. */
export async function ridesCsvUrl(rows = 50_000): Promise<string> {
  const path = join(tmpdir(), 'larder-streamlit-guide', `rides-${rows}.csv`);
  await ensureRidesCsv(path, rows);
  return pathToFileURL(path).href;
}

async function main(): Promise<void> {
  const url = await ridesCsvUrl();
  const df = await timed('load_data, first run (reads and parses the CSV)', () => loadData(url));
  await timed('load_data, rerun (a copy from the cache)', () => loadData(url));
  console.log(`${df.rows} rides; the first fare is $${df.fareUsd[0]!.toFixed(2)}; load_data ran ${runs.loadData} time(s)`);
}

await runIfMain(import.meta.url, main);
