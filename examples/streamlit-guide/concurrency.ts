/**
 * Concurrency: several users share what st.cache_resource returns.
 *
 *   @st.cache_resource
 *   def create_list():
 *       l = [1, 2, 3]
 *       return l
 *
 *   l = create_list()
 *   first_list_value = l[0]
 *   l[0] = first_list_value + 1
 *   st.write("l[0] is:", l[0])
 *
 * User A sees 2, user B then sees 3, user A again sees 4: they mutate one shared list. With
 * `cacheData` each user gets a copy and everyone sees 2.
 *
 * Node runs one request at a time between `await`s, so there are no torn writes; but a
 * read-modify-write that awaits in the middle can still lose updates on a shared resource. And
 * concurrent first calls are single-flight: the function runs once, everyone waits for it.
 */
import { cacheData, cacheResource } from '@larder/core';
import { runIfMain } from './run.js';

export const runs = { createList: 0, createListCopy: 0 };

export const createList = cacheResource(function createList() {
  runs.createList++;
  return [1, 2, 3];
});

export const createListCopy = cacheData(async function createListCopy() {
  runs.createListCopy++;
  await new Promise((resolve) => setTimeout(resolve, 50)); // slow enough for callers to pile up
  return [1, 2, 3];
});

/** One user's run of the script: returns what they see as l[0]. */
export async function session(create: () => Promise<number[]>): Promise<number> {
  const l = await create();
  const firstListValue = l[0]!;
  l[0] = firstListValue + 1;
  return l[0];
}

async function main(): Promise<void> {
  console.log('cacheResource: user A, user B, user A see', [await session(createList), await session(createList), await session(createList)]);
  console.log('cacheData:     user A, user B, user A see', [await session(createListCopy), await session(createListCopy), await session(createListCopy)]);

  await createListCopy.clear();
  runs.createListCopy = 0;
  await Promise.all(Array.from({ length: 10 }, () => createListCopy()));
  console.log(`10 concurrent first calls ran createListCopy ${runs.createListCopy} time`);
}

await runIfMain(import.meta.url, main);
