/**
 * Caching issues: "How to fix an UnhashableTypeError".
 *
 *   @st.cache(hash_funcs={FooType: hash_foo_type})
 *   def my_cached_func(a, b): ...
 *
 * and, to make Streamlit ignore a type when hashing, a constant function:
 *
 *   @st.cache(hash_funcs={FooType: lambda _: None})
 *
 * Larder throws UnhashableParamError (the message names the argument, its type, the function and the
 * fixes) and takes the same two remedies. A constant rule means the argument never changes the key:
 * every FooType shares one entry, so only do it for a value the result does not depend on — or prefix
 * the parameter with `_`, which says the same per parameter instead of per type.
 */
import { cacheData, UnhashableParamError } from '@larder/core';
import { runIfMain } from './run.js';

/** Something Larder cannot hash by itself: a class instance (think of a logger, or a tracing span). */
export class FooType {
  constructor(readonly label: string) {}
}

export const runs = { unhashable: 0, byLabel: 0, ignored: 0 };

export const unhashable = cacheData(function myCachedFunc(a: FooType, b: number) {
  runs.unhashable++;
  return `${a.label}:${b}`;
});

/** hash_funcs={FooType: hash_foo_type} */
export const byLabel = cacheData(
  function myCachedFunc(a: FooType, b: number) {
    runs.byLabel++;
    return `${a.label}:${b}`;
  },
  { hashFuncs: new Map([[FooType, (foo: FooType) => foo.label]]) },
);

/** hash_funcs={FooType: lambda _: None}: the FooType argument is ignored. */
export const ignoringFoo = cacheData(
  function myCachedFunc(a: FooType, b: number) {
    runs.ignored++;
    return b * 2;
  },
  { hashFuncs: { FooType: () => null } },
);

async function main(): Promise<void> {
  const error = await unhashable(new FooType('x'), 1).catch((e: unknown) => e);
  console.log((error as UnhashableParamError).message.split('\n')[0]);
  await byLabel(new FooType('x'), 1);
  await byLabel(new FooType('x'), 1);
  await byLabel(new FooType('y'), 1);
  await ignoringFoo(new FooType('x'), 1);
  await ignoringFoo(new FooType('y'), 1);
  console.log(`by label: ran ${runs.byLabel} times for 3 calls; ignoring FooType: ran ${runs.ignored} time for 2 calls`);
}

await runIfMain(import.meta.url, main);
