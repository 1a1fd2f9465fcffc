/**
 * `cacheData(fn, { tags })`: `larder.invalidate(tag)` drops the entries written with that tag, also when
 * the invalidation comes from another larder on the same store (another instance of the app): a real
 * SQLite file and a real redis-server (skipped loudly without one, required under CI=true).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BadOptionError, cacheData, createLarder, type Larder, type LarderEvent, type LarderOptions } from '../src/index.js';
import { maybeRedis } from '../../../test/support/redis-server.js';

const redis = await maybeRedis();
const scratch = mkdtempSync(join(tmpdir(), 'larder-function-tags-'));
const opened: Larder[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((larder) => larder.close()));
});
afterAll(async () => {
  await redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

let files = 0;
/** Each test gets its own store: a new SQLite file, or its own namespace on the Redis server. */
const stores: Array<[label: string, options: () => LarderOptions]> = [
  ['a SQLite file', () => ({ store: `sqlite://${join(scratch, `tags-${++files}.sqlite`)}` })],
  ...(redis ? [['a redis-server', () => ({ store: redis.url, namespace: `tags-${randomUUID()}` })] as [string, () => LarderOptions]] : []),
];

/** The same cached function (one place, one source: one identity) in a given larder. */
function usersIn(larder: Larder, runs: string[]) {
  return cacheData(async function loadUser(id: number) {
    runs.push(`user ${id}`);
    return { id, name: `user ${id}` };
  }, { larder, tags: (id) => ['users', `user:${id}`] });
}

/** Waits for the background writes of `count` entries. */
function writes(larder: Larder, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const onSet = (): void => {
      if (++seen === count) {
        larder.off('set', onSet);
        resolve();
      }
    };
    larder.on('set', onSet);
  });
}

describe('cacheData(fn, { tags }) with the memory store', () => {
  it('drops the entries of an invalidated tag and keeps the others', async () => {
    const larder = createLarder();
    opened.push(larder);
    const runs: string[] = [];
    const loadUser = usersIn(larder, runs);
    await loadUser(1);
    await loadUser(2);
    await larder.invalidate('user:1');
    await loadUser(1);
    await loadUser(2);
    expect(runs).toEqual(['user 1', 'user 2', 'user 1']);
    await larder.invalidate('users');
    await loadUser(2);
    expect(runs).toEqual(['user 1', 'user 2', 'user 1', 'user 2']);
  });

  it('takes a fixed list', async () => {
    const larder = createLarder();
    opened.push(larder);
    let runs = 0;
    const countries = cacheData(async function countries() {
      return ++runs;
    }, { larder, tags: ['reference-data'] });
    await countries();
    await larder.invalidate('reference-data');
    expect(await countries()).toBe(2);
    await larder.invalidate('something-else');
    expect(await countries()).toBe(2);
  });

  it('rejects tags that are not strings, at construction for a list and at the call for a function', async () => {
    expect(() => cacheData(async () => 1, { tags: 'users' as never })).toThrow(BadOptionError);
    expect(() => cacheData(async () => 1, { tags: ['users', ''] })).toThrow(/tags/);
    const larder = createLarder();
    opened.push(larder);
    const bad = cacheData(async (id: number) => id, { larder, tags: (id) => [id as never] });
    await expect(bad(1)).rejects.toThrow(BadOptionError);
  });
});

describe.each(stores)('cacheData(fn, { tags }) on %s shared by two larders', (_label, options) => {
  function twoInstances(): [Larder, Larder] {
    const shared = options();
    // Patient: the first read of a fresh store can exceed the default 100 ms on a loaded machine.
    const pair = [createLarder({ storeTimeout: '10s', ...shared }), createLarder({ storeTimeout: '10s', ...shared })] as [Larder, Larder];
    opened.push(...pair);
    return pair;
  }

  it('drops the tagged entries for both when the other larder invalidates the tag', async () => {
    const [first, second] = twoInstances();
    const runs: string[] = [];
    const stored = writes(first, 2);
    await usersIn(first, runs)(1);
    await usersIn(first, runs)(2);
    await stored;

    // Positive control: the second instance reads what the first stored.
    expect(await usersIn(second, runs)(1)).toEqual({ id: 1, name: 'user 1' });
    expect(runs).toEqual(['user 1', 'user 2']);

    await second.invalidate('user:1');
    const misses: LarderEvent[] = [];
    first.on('miss', (event: LarderEvent) => misses.push(event));
    await usersIn(first, runs)(1);
    await usersIn(first, runs)(2);
    expect(runs).toEqual(['user 1', 'user 2', 'user 1']);
    expect(misses).toMatchObject([{ reason: 'invalidated' }]);
  });

  it('drops every entry of a tag all of them carry', async () => {
    const [first, second] = twoInstances();
    const runs: string[] = [];
    const stored = writes(second, 2);
    await Promise.all([usersIn(second, runs)(1), usersIn(second, runs)(2)]);
    await stored;
    await first.invalidate('users');
    await Promise.all([usersIn(second, runs)(1), usersIn(first, runs)(2)]);
    expect(runs.sort()).toEqual(['user 1', 'user 1', 'user 2', 'user 2']);
  });
});
