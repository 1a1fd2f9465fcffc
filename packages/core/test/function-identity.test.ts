/**
 * Who a cached function is: its module (the file that called cacheData/cacheResource), its name and
 * its source — or its `name` option. Real modules (files under fixtures/identity), a real SQLite file,
 * and another Node process started from another directory.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cacheData, cacheResource, createLarder, type Larder, type LarderEvent, type LarderOptions } from '../src/index.js';
import { deferred, manualClock } from '../../../test/support/async.js';
import * as orders from './fixtures/identity/orders.js';
import * as users from './fixtures/identity/users.js';
import * as named from './fixtures/identity/named.js';
import * as namedTwin from './fixtures/identity/named-twin.js';
import { computed as squaresComputed, makeSquare } from './fixtures/identity/square.js';

const scratch = mkdtempSync(join(tmpdir(), 'larder-identity-'));
const opened: Larder[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((larder) => larder.close()));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function open(options: LarderOptions = {}): Larder {
  const larder = createLarder(options);
  opened.push(larder);
  return larder;
}

let files = 0;
const sqliteFile = (): string => join(scratch, `cache-${++files}.sqlite`);
/** Patient: the first read of a fresh SQLite file can exceed the default 100 ms on a loaded machine. */
const onSqlite = (file: string, options: LarderOptions = {}): Larder => open({ store: `sqlite://${file}`, storeTimeout: '10s', ...options });

/** The next `set` event: a background write has landed. */
const written = (larder: Larder): Promise<LarderEvent> => new Promise((resolve) => larder.once('set', resolve));

describe('the identity of a cached function', () => {
  describe('when two modules cache functions with the same text over different data', () => {
    it('never share entries: each module gets its own rows', async () => {
      const larder = open();
      const findUser = users.finder(larder);
      const findOrder = orders.finder(larder);
      expect(String(findUser)).toBe(String(findOrder)); // same wrapper, same text: only the module differs

      expect(await findUser(1)).toEqual({ table: 'users', id: 1, name: 'Ada' });
      expect(await findOrder(1)).toEqual({ table: 'orders', id: 1, total: 42 });
      expect(await findUser(1)).toEqual({ table: 'users', id: 1, name: 'Ada' });
      expect(await findOrder(1)).toEqual({ table: 'orders', id: 1, total: 42 });
      expect([users.repo.queries, orders.repo.queries]).toEqual([1, 1]);
    });

    it('never share entries persisted in one SQLite file either', async () => {
      const file = sqliteFile();
      const first = onSqlite(file);
      const stored = written(first);
      await users.finder(first)(1);
      await stored;

      const second = onSqlite(file);
      expect(await orders.finder(second)(1)).toEqual({ table: 'orders', id: 1, total: 42 });
    });

    it('(positive control) the same module’s finder, created twice, does share entries', async () => {
      const larder = open();
      const before = users.repo.queries;
      await users.finder(larder)(1);
      await users.finder(larder)(1);
      expect(users.repo.queries - before).toBe(1);
    });
  });

  describe('when a wrapper is created again at the same place (inside a function, once per request)', () => {
    it('cacheData: the second wrapper hits the entry of the first', async () => {
      const larder = open();
      let runs = 0;
      function handleRequest(id: number) {
        const load = cacheData(async function load(key: number) {
          runs++;
          return { key };
        }, { larder });
        return load(id);
      }
      expect(await handleRequest(7)).toEqual({ key: 7 });
      expect(await handleRequest(7)).toEqual({ key: 7 });
      expect(await handleRequest(8)).toEqual({ key: 8 });
      expect(runs).toBe(2);
    });

    it('cacheData: a call through the second wrapper joins the first one’s call in flight', async () => {
      const larder = open();
      const gate = deferred();
      let runs = 0;
      const perRequest = () => cacheData(async function slow(id: number) {
        runs++;
        await gate.promise;
        return { id };
      }, { larder });
      const first = perRequest()(1);
      const second = perRequest()(1);
      gate.resolve();
      expect(await Promise.all([first, second])).toEqual([{ id: 1 }, { id: 1 }]);
      expect(runs).toBe(1);
    });

    it('cacheResource: shares the instance — one factory run, one onRelease', async () => {
      const larder = open();
      const opened: object[] = [];
      const released: object[] = [];
      function poolForRequest() {
        return cacheResource(async function openPool() {
          const pool = { n: opened.length + 1 };
          opened.push(pool);
          return pool;
        }, { larder, onRelease: (pool) => void released.push(pool) });
      }
      const a = await poolForRequest()();
      const b = await poolForRequest()();
      expect(b).toBe(a);
      expect(opened).toHaveLength(1);
      await larder.close();
      expect(released).toEqual([a]);
    });

    it('cacheResource: concurrent first calls through two wrappers create one instance', async () => {
      const larder = open();
      const gate = deferred();
      let runs = 0;
      const perRequest = () => cacheResource(async function client() {
        runs++;
        await gate.promise;
        return { runs };
      }, { larder });
      const first = perRequest()();
      const second = perRequest()();
      gate.resolve();
      const [a, b] = await Promise.all([first, second]);
      expect(b).toBe(a);
      expect(runs).toBe(1);
    });
  });

  describe('the name option', () => {
    it('replaces module and name: two modules’ functions given one name share entries', async () => {
      const larder = open();
      expect(await named.namedFinder(larder)(1)).toEqual({ id: 1, calls: 1 });
      expect(await namedTwin.namedFinder(larder)(1)).toEqual({ id: 1, calls: 1 });
      expect(namedTwin.calls.n).toBe(0);
    });

    it('is what errors, events and stats call the function', async () => {
      const larder = open();
      const misses: string[] = [];
      larder.on('miss', (event: LarderEvent) => misses.push(event.cache));
      await named.namedFinder(larder)(2);
      expect(misses).toEqual(['shared.find']);
      expect(larder.stats()['shared.find']).toMatchObject({ misses: 1 });
    });
  });

  describe('in another process, started from another directory', () => {
    it('is the same: an entry it stored (its module a file:// URL under tsx) is a hit here (a path under vitest)', { timeout: 60_000 }, async () => {
      const file = sqliteFile();
      const worker = fileURLToPath(new URL('./fixtures/identity/square-worker.ts', import.meta.url));
      const tsx = fileURLToPath(import.meta.resolve('tsx'));
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsx, worker, file, '9'], { cwd: scratch });
      const theirs = JSON.parse(stdout) as { pid: number };
      expect(theirs.pid).not.toBe(process.pid);

      const larder = onSqlite(file);
      const before = squaresComputed.n;
      expect(await makeSquare(larder)(9)).toEqual({ n: 9, square: 81, pid: theirs.pid });
      expect(squaresComputed.n).toBe(before);
      // Positive control: another argument is computed here.
      expect(await makeSquare(larder)(10)).toMatchObject({ pid: process.pid });
    });
  });
});

describe('the current ttl', () => {
  /** The same cached function (one place, one source) with the ttl the code gives it now. */
  function ratesWith(larder: Larder, ttl: string, runs: { n: number }) {
    return cacheData(async function rates(day: string) {
      runs.n++;
      return { day, computation: runs.n };
    }, { larder, ttl });
  }

  it('expires an entry stored under a longer ttl once it is older than the shorter one, for another larder on the same SQLite file', async () => {
    const file = sqliteFile();
    const clock = manualClock(Date.now());
    const runs = { n: 0 };
    const before = onSqlite(file, { clock });
    const stored = written(before);
    await ratesWith(before, '1h', runs)('mon');
    await stored;
    clock.advance(20 * 60_000);

    // Positive control: under the old ttl the 20-minute-old entry is still fresh.
    expect(await ratesWith(onSqlite(file, { clock }), '1h', runs)('mon')).toEqual({ day: 'mon', computation: 1 });

    const after = onSqlite(file, { clock });
    const misses: LarderEvent[] = [];
    after.on('miss', (event: LarderEvent) => misses.push(event));
    expect(await ratesWith(after, '10m', runs)('mon')).toEqual({ day: 'mon', computation: 2 });
    expect(misses).toMatchObject([{ reason: 'expired' }]);
  });

  it('applies to a wrapper created again with a shorter ttl in the same larder', async () => {
    const clock = manualClock();
    const larder = open({ clock });
    const runs = { n: 0 };
    await ratesWith(larder, '1h', runs)('tue');
    clock.advance(15 * 60_000);
    expect(await ratesWith(larder, '1h', runs)('tue')).toEqual({ day: 'tue', computation: 1 });
    expect(await ratesWith(larder, '10m', runs)('tue')).toEqual({ day: 'tue', computation: 2 });
  });

  it('never lengthens the life of an entry stored under a shorter ttl', async () => {
    const clock = manualClock();
    const larder = open({ clock });
    const runs = { n: 0 };
    await ratesWith(larder, '10m', runs)('wed');
    clock.advance(15 * 60_000);
    expect(await ratesWith(larder, '1h', runs)('wed')).toEqual({ day: 'wed', computation: 2 });
  });

  describe('with staleWhileRevalidate', () => {
    function reportWith(larder: Larder, ttl: string, runs: { n: number }) {
      return cacheData(async function report(id: number) {
        runs.n++;
        return { id, computation: runs.n };
      }, { larder, ttl, staleWhileRevalidate: '5m' });
    }

    it('serves an entry past the current ttl as stale, within the current stale window, and refreshes it', async () => {
      const clock = manualClock();
      const larder = open({ clock });
      const runs = { n: 0 };
      await reportWith(larder, '1h', runs)(1);
      clock.advance(12 * 60_000);
      const refreshed = written(larder);
      expect(await reportWith(larder, '10m', runs)(1)).toEqual({ id: 1, computation: 1 });
      await refreshed;
      expect(await reportWith(larder, '10m', runs)(1)).toEqual({ id: 1, computation: 2 });
    });

    it('computes anew past the current ttl plus the stale window, whatever the stored expiry says', async () => {
      const clock = manualClock();
      const larder = open({ clock });
      const runs = { n: 0 };
      await reportWith(larder, '1h', runs)(1);
      clock.advance(16 * 60_000);
      expect(await reportWith(larder, '10m', runs)(1)).toEqual({ id: 1, computation: 2 });
    });
  });
});
