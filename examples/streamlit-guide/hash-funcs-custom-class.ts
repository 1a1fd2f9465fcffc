/**
 * hash_funcs, example 1: hashing a custom class.
 *
 *   class MyCustomClass:
 *       def __init__(self, initial_score: int):
 *           self.my_score = initial_score
 *
 *   def hash_func(obj: MyCustomClass) -> int:
 *       return obj.my_score
 *
 *   @st.cache_data(hash_funcs={MyCustomClass: hash_func})
 *   def multiply_score(obj: MyCustomClass, multiplier: int) -> int:
 *       return obj.my_score * multiplier
 *
 * Without hashFuncs Larder raises the error Streamlit users know:
 * "Cannot hash argument 'obj' (of type MyCustomClass) in 'multiplyScore'." — followed by the fixes.
 */
import { cacheData, UnhashableParamError } from '@larder/core';
import { runIfMain } from './run.js';

export class MyCustomClass {
  constructor(readonly myScore: number) {}
}

export function hashFunc(obj: MyCustomClass): number {
  return obj.myScore; // or any other value that uniquely identifies the object
}

export const runs = { multiplyScore: 0 };

/** Without hashFuncs: every call throws UnhashableParamError (the function never runs). */
export const multiplyScoreUnhashable = cacheData(function multiplyScore(obj: MyCustomClass, multiplier: number) {
  return obj.myScore * multiplier;
});

export const multiplyScore = cacheData(
  function multiplyScore(obj: MyCustomClass, multiplier: number) {
    runs.multiplyScore++;
    return obj.myScore * multiplier;
  },
  { hashFuncs: new Map([[MyCustomClass, hashFunc]]) },
);

async function main(): Promise<void> {
  await multiplyScoreUnhashable(new MyCustomClass(15), 2).catch((error: UnhashableParamError) => console.log(`${error.message}\n`));

  console.log(await multiplyScore(new MyCustomClass(15), 2)); // 30, runs
  console.log(await multiplyScore(new MyCustomClass(15), 2)); // 30, cached: another instance, same score
  console.log(await multiplyScore(new MyCustomClass(16), 2)); // 32, runs
  console.log(`multiplyScore ran ${runs.multiplyScore} times for 3 calls`);
}

await runIfMain(import.meta.url, main);
