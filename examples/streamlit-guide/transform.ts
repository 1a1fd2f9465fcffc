/**
 * DataFrame transformations:
 *
 *   @st.cache_data
 *   def transform(df):
 *       df = df.filter(items=['one', 'three'])
 *       df = df.apply(np.sum, axis=0)
 *       return df
 *
 * A "DataFrame" here is an object of named Float64Array columns, and the applied function computes
 * each kept column's sum and median (the median sorts the column: the slow part). Larder hashes the
 * whole argument (every byte of every column, SHA-256), so an equal DataFrame hits and any changed
 * cell misses. Hashing is not free either: caching pays when the transform costs more than reading
 * its input.
 */
import { cacheData } from '@larder/core';
import { seededRandom } from '../shared/random.js';
import { runIfMain, timed } from './run.js';

export type DataFrame = Record<string, Float64Array>;

export const runs = { transform: 0 };

export const transform = cacheData(function transform(df: DataFrame) {
  runs.transform++;
  const kept = Object.entries(df).filter(([name]) => name === 'one' || name === 'three');
  return Object.fromEntries(kept.map(([name, column]) => [name, { sum: Math.round(column.reduce((sum, x) => sum + x, 0) * 100) / 100, median: median(column) }]));
});

function median(column: Float64Array): number {
  const sorted = column.slice().sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A DataFrame of three columns of seeded random numbers. */
export function makeFrame(rows: number, seed = 1): DataFrame {
  const random = seededRandom(seed);
  const column = () => Float64Array.from({ length: rows }, () => Math.round(random.next() * 10_000) / 100);
  return { one: column(), two: column(), three: column() };
}

async function main(): Promise<void> {
  const df = makeFrame(200_000);
  const copy = makeFrame(200_000);
  console.log(await timed('transform, first run', () => transform(df)));
  console.log(await timed('transform, an equal frame (hashes 4.8 MB, skips the transform)', () => transform(copy)));
  df.one![0]! += 1;
  console.log(await timed('transform, one cell changed (runs again)', () => transform(df)));
  console.log(`transform ran ${runs.transform} times`);
}

await runIfMain(import.meta.url, main);
