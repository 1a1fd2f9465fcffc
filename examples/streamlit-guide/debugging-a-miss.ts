/**
 * Caching issues: "How to debug a cached function that isn't executing".
 *
 *   @st.cache
 *   def my_cached_func(a, b):
 *       st.write("Cache miss: my_cached_func(", a, ", ", b, ") ran")
 *       ...
 *
 *   st.write("Calling my_cached_func(", a, ", ", b, ")")
 *   my_cached_func(2, 21)
 *
 * The same print statements work in Larder (a line inside the function appears only when it runs).
 * Larder also says why each call missed without touching the function: every larder emits `miss` with
 * a reason (`absent`: never stored under this key; `expired`, `invalidated`, `store-error`, …) and
 * `hit` events, and `larder.stats()` counts them per function (docs/troubleshooting.md lists the reasons).
 */
import { cacheData, defaultLarder, type LarderEvent } from '@larder/core';
import { runIfMain } from './run.js';

/** What `st.write` would have shown, in order. */
export const log: string[] = [];

export const myCachedFunc = cacheData(function myCachedFunc(a: number, b: number) {
  log.push(`Cache miss: myCachedFunc(${a}, ${b}) ran`);
  return a * b;
});

/** A caller that writes what it calls, as the page suggests. */
export async function call(a: number, b: number): Promise<number> {
  log.push(`Calling myCachedFunc(${a}, ${b})`);
  return myCachedFunc(a, b);
}

/** Larder's own account of each call of myCachedFunc: hit, or miss and why. */
export function watchMisses(): () => void {
  const larder = defaultLarder();
  const onHit = (event: LarderEvent) => event.cache === 'myCachedFunc' && log.push('  → hit');
  const onMiss = (event: LarderEvent) => event.cache === 'myCachedFunc' && log.push(`  → miss (${event.reason})`);
  larder.on('hit', onHit).on('miss', onMiss);
  return () => void larder.off('hit', onHit).off('miss', onMiss);
}

async function main(): Promise<void> {
  const stop = watchMisses();
  await call(2, 21);
  await call(2, 21);
  await call(2, 22);
  stop();
  console.log(log.join('\n'));
  const { hits, misses } = defaultLarder().stats().myCachedFunc!;
  console.log(`stats: ${hits} hit, ${misses} misses`);
}

await runIfMain(import.meta.url, main);
