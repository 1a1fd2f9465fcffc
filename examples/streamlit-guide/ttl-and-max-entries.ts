/**
 * Controlling cache size and duration:
 *
 *   @st.cache_data(ttl=3600)  # 👈 Cache data for 1 hour (=3600 seconds)
 *   def get_api_data(): ...
 *
 *   @st.cache_data(max_entries=1000)  # 👈 Maximum 1000 entries in the cache
 *   def get_large_array(seed):
 *       np.random.seed(seed)
 *       arr = np.random.rand(100000)
 *       return arr
 *
 * `ttl` takes seconds or a string ('1h', '90m', '1h 30m'); it counts from the write, reads don't
 * extend it. `maxEntries` evicts the least recently used entry (Streamlit: the oldest). The larder
 * gets a clock the program moves forward instead of waiting an hour.
 */
import { cacheData, createLarder } from '@larder/core';
import { seededRandom } from '../shared/random.js';
import { manualClock, runIfMain } from './run.js';

export const clock = manualClock();
export const larder = createLarder({ clock });
export const runs = { getApiData: 0, getLargeArray: 0 };

export const getApiData = cacheData(
  async function getApiData() {
    runs.getApiData++;
    return { fetchedAt: new Date(clock.now()).toISOString(), temperatureC: 21.5 };
  },
  { larder, ttl: 3600 },
);

export const getLargeArray = cacheData(
  function getLargeArray(seed: number) {
    runs.getLargeArray++;
    const random = seededRandom(seed);
    return Float64Array.from({ length: 1_000 }, () => random.next()); // 100,000 in the guide; lighter here
  },
  { larder, maxEntries: 1000 },
);

async function main(): Promise<void> {
  console.log(await getApiData());
  clock.advance(59 * 60_000);
  console.log('59 minutes later:', await getApiData()); // cached
  clock.advance(60_000);
  console.log('60 minutes later:', await getApiData()); // expired: runs again

  for (let seed = 0; seed <= 1000; seed++) await getLargeArray(seed); // 1001 seeds: seed 0 is evicted
  await getLargeArray(1000); // cached
  await getLargeArray(0); // evicted: runs again
  console.log(`getLargeArray ran ${runs.getLargeArray} times; ${larder.stats().getLargeArray?.entries} entries kept`);
}

await runIfMain(import.meta.url, main, larder);
