/**
 * Dealing with large data: copying a big value on every hit takes time, sharing it does not.
 *
 * st.cache_data serializes on the first run and deserializes on every later one; for very large
 * values the guide suggests st.cache_resource instead — no copy, but mutations are shared (see
 * mutation.ts). Same trade-off here: compare the hit times.
 */
import { cacheData, cacheResource } from '@larder/core';
import { runIfMain, timed } from './run.js';

const make = (size: number): Float64Array => Float64Array.from({ length: size }, (_, i) => i * 0.5);

export const bigAsData = cacheData(function bigAsData(size: number) {
  return make(size);
});

export const bigAsResource = cacheResource(function bigAsResource(size: number) {
  return make(size);
});

async function main(): Promise<void> {
  const size = 5_000_000; // 40 MB
  await timed('cacheData, first run', () => bigAsData(size));
  await timed('cacheData, hit (a 40 MB copy)', () => bigAsData(size));
  await timed('cacheResource, first run', () => bigAsResource(size));
  await timed('cacheResource, hit (the same object)', () => bigAsResource(size));
}

await runIfMain(import.meta.url, main);
