/**
 * Array computations:
 *
 *   @st.cache_data
 *   def add(arr1, arr2):
 *       return arr1 + arr2
 *
 * NumPy arrays become typed arrays: hashed by content and type, returned as typed arrays.
 */
import { cacheData } from '@larder/core';
import { runIfMain } from './run.js';

export const runs = { add: 0 };

export const add = cacheData(function add(arr1: Float64Array, arr2: Float64Array) {
  runs.add++;
  return arr1.map((value, i) => value + arr2[i]!);
});

async function main(): Promise<void> {
  const sum = await add(new Float64Array([1, 2, 3]), new Float64Array([10, 20, 30]));
  console.log(sum); // Float64Array(3) [ 11, 22, 33 ]
  await add(new Float64Array([1, 2, 3]), new Float64Array([10, 20, 30])); // equal contents: a hit
  await add(new Float64Array([1, 2, 3]), new Float64Array([10, 20, 31])); // one element differs: runs
  // Same numbers, another type: a different key (a Float32Array is not a Float64Array).
  await add(new Float32Array([1, 2, 3]) as unknown as Float64Array, new Float64Array([10, 20, 30]));
  console.log(`add ran ${runs.add} times for 4 calls`);
}

await runIfMain(import.meta.url, main);
