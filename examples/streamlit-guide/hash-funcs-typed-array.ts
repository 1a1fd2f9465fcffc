/**
 * hash_funcs, example 4 continued: overriding the hashing of arrays.
 *
 *   @st.cache_data(hash_funcs={np.ndarray: str})
 *   def show_data(data):
 *       time.sleep(2)  # This makes the function take 2s to run
 *       return data
 *
 * Larder hashes a typed array by every byte, so the default already hits for equal data (the
 * Streamlit workaround is not needed). A rule is still useful for a cheaper key on large arrays —
 * here a Float64Array is keyed by its length and the values at both ends. That is the developer's
 * call, as the guide says: two arrays that differ only in the middle now share an entry.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cacheData } from '@larder/core';
import { runIfMain, timed } from './run.js';

export const runs = { showData: 0, showDataByEnds: 0 };

export const showData = cacheData(async function showData(data: Float64Array) {
  runs.showData++;
  await sleep(200); // the slow part
  return data;
});

export const byEnds = (data: Float64Array): unknown => [data.length, data[0], data[data.length - 1]];

export const showDataByEnds = cacheData(
  async function showDataByEnds(data: Float64Array) {
    runs.showDataByEnds++;
    await sleep(200);
    return data;
  },
  { hashFuncs: { Float64Array: byEnds } },
);

async function main(): Promise<void> {
  const data = Float64Array.from({ length: 1_000_000 }, (_, i) => i % 7);
  await timed('showData, first run', () => showData(data));
  await timed('showData, rerun (hashes 8 MB)', () => showData(data.slice()));
  await timed('showDataByEnds, first run', () => showDataByEnds(data));
  await timed('showDataByEnds, rerun (hashes 3 numbers)', () => showDataByEnds(data.slice()));
  const changedInTheMiddle = data.slice();
  changedInTheMiddle[500_000] = 42;
  await showDataByEnds(changedInTheMiddle); // the trade-off: a hit, with the old data
  console.log(`showData ran ${runs.showData} time, showDataByEnds ${runs.showDataByEnds} time`);
}

await runIfMain(import.meta.url, main);
