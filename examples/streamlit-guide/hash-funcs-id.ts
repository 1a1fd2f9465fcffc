/**
 * hash_funcs, example 1, the warning about `id`:
 *
 *   class MyCustomClass:
 *       @st.cache_data(hash_funcs={"__main__.MyCustomClass": id})
 *       def multiply_score(self, multiplier: int) -> int:
 *           return self.my_score * multiplier
 *
 * "Streamlit recomputes multiply_score each time even if my_score hasn't changed": `id()` is unique
 * per object, so two instances with the same score are two keys. JavaScript has no `id()`; the same
 * mistake is a rule that returns something unique per instance (a counter in a WeakMap below, a random
 * id, `crypto.randomUUID()` stored on the object). Hash what identifies the *value* instead.
 *
 * And the other half of Streamlit's advice — "id is often the correct hash func when you're passing the
 * result of an @st.cache_resource function" — Larder does by itself: a value from cacheResource or the
 * resource registry hashes by its resource identity, no hashFuncs needed (see hash-funcs-ml-model.ts).
 */
import { cacheData } from '@larder/core';
import { runIfMain } from './run.js';

export const runs = { byId: 0, byScore: 0 };

/** `id()` for JavaScript objects: a number per object, for this process's lifetime. */
const ids = new WeakMap<object, number>();
let nextId = 0;
export function id(obj: object): number {
  let found = ids.get(obj);
  if (found === undefined) ids.set(obj, (found = ++nextId));
  return found;
}

export class MyCustomClass {
  constructor(readonly myScore: number) {}
  declare multiplyScoreById: (multiplier: number) => Promise<number>;
  declare multiplyScore: (multiplier: number) => Promise<number>;
}

MyCustomClass.prototype.multiplyScoreById = cacheData(
  function multiplyScoreById(this: MyCustomClass, multiplier: number) {
    runs.byId++;
    return this.myScore * multiplier;
  },
  { hashFuncs: { MyCustomClass: id } },
);

MyCustomClass.prototype.multiplyScore = cacheData(
  function multiplyScore(this: MyCustomClass, multiplier: number) {
    runs.byScore++;
    return this.myScore * multiplier;
  },
  { hashFuncs: { MyCustomClass: (x: MyCustomClass) => x.myScore } },
);

async function main(): Promise<void> {
  // Two instances with the same score, as after every rerun of a Streamlit script (or every request).
  for (const score of [new MyCustomClass(15), new MyCustomClass(15)]) {
    await score.multiplyScoreById(2);
    await score.multiplyScore(2);
  }
  console.log(`hashed by id: ran ${runs.byId} times; hashed by score: ran ${runs.byScore} time, for 2 equal instances`);
}

await runIfMain(import.meta.url, main);
