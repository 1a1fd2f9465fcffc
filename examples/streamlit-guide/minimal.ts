/**
 * Streamlit's minimal example:
 *
 *   @st.cache_data
 *   def long_running_function(param1, param2):
 *       return …
 *
 * The key is the function (its name and its code) plus the values of its parameters.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cacheData } from '@larder/core';
import { runIfMain, timed } from './run.js';

export const runs = { longRunningFunction: 0 };

export const longRunningFunction = cacheData(async function longRunningFunction(param1: string, param2: number) {
  runs.longRunningFunction++;
  await sleep(300); // the slow part
  return `${param1} × ${param2} = ${param1.repeat(param2)}`;
});

async function main(): Promise<void> {
  console.log(await timed('first call (runs)', () => longRunningFunction('ab', 3)));
  console.log(await timed('same parameters (cached)', () => longRunningFunction('ab', 3)));
  console.log(await timed('new parameters (runs)', () => longRunningFunction('ab', 4)));
  console.log(`longRunningFunction ran ${runs.longRunningFunction} times`);
}

await runIfMain(import.meta.url, main);
