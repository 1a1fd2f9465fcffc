/**
 * hash_funcs, example 4: overriding the default hashing of a built-in type.
 *
 *   @st.cache_data(hash_funcs={datetime: lambda x: x.strftime("%a %d %b %Y, %I:%M%p")})
 *   def load_data(dt):
 *       return dt
 *
 * By default a Date hashes to the millisecond (so `new Date()` misses every time). A rule for `Date`
 * replaces that: here, by calendar day (UTC), so every call on the same day shares one entry.
 */
import { cacheData } from '@larder/core';
import { runIfMain } from './run.js';

export const runs = { loadData: 0, loadDataToTheMillisecond: 0 };

const byDay = (date: Date): string => date.toISOString().slice(0, 10);

export const loadData = cacheData(
  function loadData(day: Date) {
    runs.loadData++;
    return { day: byDay(day), loadedAt: new Date() };
  },
  { hashFuncs: [[Date, byDay]] },
);

export const loadDataToTheMillisecond = cacheData(function loadDataToTheMillisecond(day: Date) {
  runs.loadDataToTheMillisecond++;
  return { day: byDay(day) };
});

async function main(): Promise<void> {
  console.log(await loadData(new Date('2024-05-01T08:00:00Z')));
  console.log(await loadData(new Date('2024-05-01T17:30:00Z'))); // same day: cached (same loadedAt)
  console.log(await loadData(new Date('2024-05-02T08:00:00Z'))); // next day: runs
  console.log(`loadData ran ${runs.loadData} times for 3 calls`);
  await loadDataToTheMillisecond(new Date('2024-05-01T08:00:00Z'));
  await loadDataToTheMillisecond(new Date('2024-05-01T17:30:00Z'));
  console.log(`without the rule, ${runs.loadDataToTheMillisecond} runs for 2 calls on the same day`);
}

await runIfMain(import.meta.url, main);
