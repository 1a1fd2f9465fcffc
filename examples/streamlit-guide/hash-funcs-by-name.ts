/**
 * hash_funcs, example 1 continued: a cached *method*, with the hash function keyed by class name.
 *
 *   class MyCustomClass:
 *       @st.cache_data(hash_funcs={"__main__.MyCustomClass": lambda x: hash(x.my_score)})
 *       def multiply_score(self, multiplier: int) -> int:
 *           return self.my_score * multiplier
 *
 * In Larder `this` is hashed like an argument named 'this', so a method needs a rule for its class.
 * Like Streamlit's "__main__.MyCustomClass", the rule can be keyed by the class's name
 * (`{ MyCustomClass: fn }`, e.g. in a shared table of rules that cannot import every class); keys by
 * name and by class are identical.
 *
 * Streamlit's warning about `id` applies as well: a rule that returns something unique per instance
 * (a counter, a random id) makes every instance a miss.
 */
import { cacheData, hashValue } from '@larder/core';
import { runIfMain } from './run.js';

export const runs = { multiplyScore: 0 };

export class MyCustomClass {
  constructor(readonly myScore: number) {}
  declare multiplyScore: (multiplier: number) => Promise<number>;
}

// One cached method on the prototype, shared by every instance; `this` is hashed with the rule
// keyed by the name 'MyCustomClass'.
MyCustomClass.prototype.multiplyScore = cacheData(
  function multiplyScore(this: MyCustomClass, multiplier: number) {
    runs.multiplyScore++;
    return this.myScore * multiplier;
  },
  { hashFuncs: { MyCustomClass: (x: MyCustomClass) => x.myScore } },
);

/** Whether a rule keyed by name and one keyed by the class give the same hash (they do). */
export function sameKeyByNameAndByClass(obj: MyCustomClass): boolean {
  const byName = hashValue(obj, { hashFuncs: { MyCustomClass: (x: MyCustomClass) => x.myScore } });
  const byClass = hashValue(obj, { hashFuncs: new Map([[MyCustomClass, (x: MyCustomClass) => x.myScore]]) });
  return byName === byClass;
}

async function main(): Promise<void> {
  const score = new MyCustomClass(15);
  console.log(await score.multiplyScore(2)); // 30, runs
  console.log(await new MyCustomClass(15).multiplyScore(2)); // 30, cached: same score
  console.log(`multiplyScore ran ${runs.multiplyScore} time for 2 calls`);
  console.log('keyed by name or by class, same key:', sameKeyByNameAndByClass(score));
}

await runIfMain(import.meta.url, main);
