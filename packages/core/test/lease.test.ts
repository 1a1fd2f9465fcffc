/**
 * Leases on the stores that have them: a real SQLite file and a real redis-server (skipped loudly when
 * redis-server is missing, required under CI=true). Larders in one process stand for the processes of a
 * fleet here; test/fleet/ runs real separate processes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { BadDurationError, BadOptionError, cacheData, createLarder, type Larder, type LarderEvent, type LarderOptions } from '../src/index.js';
import { systemClock } from '../src/clock.js';
import type { Store } from '../src/store/store.js';
import { resolveStore } from '../src/store/backends/resolve-store.js';
import { maybeRedis, RedisServer } from '../../../test/support/redis-server.js';
import { deferred, eventually, manualClock } from '../../../test/support/async.js';

const redis = await maybeRedis();
const scratch = mkdtempSync(join(tmpdir(), 'larder-lease-'));
afterAll(async () => {
  await redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const closing: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((resource) => resource.close()));
});

let nextDb = 1;
const stores: Array<[label: string, url: () => string, available: boolean]> = [
  ['SQLite', () => `sqlite://${join(scratch, `${randomUUID()}.sqlite`)}`, true],
  ['Redis', () => `${redis!.url}/${nextDb++ % 16}?namespace=l${randomUUID().slice(0, 6)}`, redis !== undefined],
];

function open(options: LarderOptions): Larder {
  const larder = createLarder({ storeTimeout: '10s', ...options });
  closing.push(larder);
  return larder;
}

function rawStore(url: string): Store {
  const store = resolveStore(url, { clock: systemClock });
  closing.push(store);
  return store;
}

describe.each(stores)('leases on %s', (_label, makeUrl, available) => {
  describe.skipIf(!available)('the store primitives', () => {
    it('let one claim hold a key, and report how long it has left to the others', async () => {
      const { leases } = rawStore(makeUrl());
      expect(await leases!.claim('l:k', 'first', 60_000)).toBe(true);
      const left = await leases!.claim('l:k', 'second', 60_000);
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(60_000);
      expect(await leases!.inspect('l:k')).toEqual({ held: expect.any(Number) });
    });

    it('free a lease whose entry landed, and mark released one without an entry; both can be taken again', async () => {
      const { leases } = rawStore(makeUrl());
      await leases!.claim('l:stored', 'holder', 60_000);
      await leases!.release('l:stored', 'holder', true);
      expect(await leases!.inspect('l:stored')).toBe('free');

      await leases!.claim('l:unstorable', 'holder', 60_000);
      await leases!.release('l:unstorable', 'holder', false);
      expect(await leases!.inspect('l:unstorable')).toBe('released');
      expect(await leases!.claim('l:unstorable', 'next', 60_000)).toBe(true);
    });

    it('let only the holder release its lease', async () => {
      const { leases } = rawStore(makeUrl());
      await leases!.claim('l:k', 'holder', 60_000);
      await leases!.release('l:k', 'someone else', true);
      expect(await leases!.inspect('l:k')).toEqual({ held: expect.any(Number) });
    });

    it('let a lease lapse: its holder is presumed dead, and the key can be claimed', async () => {
      const { leases } = rawStore(makeUrl());
      expect(await leases!.claim('l:k', 'dies', 30)).toBe(true);
      await sleep(60);
      expect(await leases!.inspect('l:k')).toBe('free');
      expect(await leases!.claim('l:k', 'next', 60_000)).toBe(true);
    });
  });

  describe.skipIf(!available)('between two larders on one store', () => {
    /** One cached function, as each instance of an app defines it. */
    function instances(url: string, options: { lease?: string | false } = {}) {
      const started = deferred();
      const startedTwice = deferred();
      const finish = deferred();
      let runs = 0;
      const make = (larder: Larder) =>
        cacheData(
          async function report(id: number) {
            runs++;
            started.resolve();
            if (runs === 2) startedTwice.resolve();
            await finish.promise;
            return { id, by: larder === first ? 'first' : 'second' };
          },
          { larder, ...options },
        );
      const namespace = `n${randomUUID().slice(0, 6)}`;
      const first = open({ store: url, namespace });
      const second = open({ store: url, namespace });
      return { first: make(first), second: make(second), larders: [first, second], started, startedTwice, finish, runs: () => runs };
    }

    it('run a cold call once: the second gets the first one\'s value', async () => {
      const { first, second, started, finish, runs } = instances(makeUrl().split('?')[0]!);
      const one = first(1);
      await started.promise;
      const two = second(1);
      finish.resolve();
      expect(await Promise.all([one, two])).toEqual([{ id: 1, by: 'first' }, { id: 1, by: 'first' }]);
      expect(runs()).toBe(1);
    });

    it('refresh a stale value once between them (staleWhileRevalidate)', async () => {
      const url = makeUrl();
      const [storeA, storeB] = [rawStore(url), rawStore(url)];
      const clock = manualClock();
      const [a, b] = [open({ store: storeA, clock }), open({ store: storeB, clock })];
      let runs = 0;
      let gate: Promise<void> | undefined;
      const refreshing = deferred();
      const make = (larder: Larder) =>
        cacheData(
          async function rate(currency: string) {
            runs++;
            if (gate) {
              refreshing.resolve();
              await gate;
            }
            return { currency, run: runs };
          },
          { larder, ttl: '1m', staleWhileRevalidate: '1h' },
        );
      const [inA, inB] = [make(a), make(b)];
      const written = new Promise((resolve) => a.once('set', resolve));
      expect(await inA('EUR')).toEqual({ currency: 'EUR', run: 1 });
      await written;

      clock.advance(2 * 60_000);
      const release = deferred();
      gate = release.promise;
      const claimsOfB = vi.spyOn(storeB.leases!, 'claim');
      expect(await inA('EUR')).toEqual({ currency: 'EUR', run: 1 });
      await refreshing.promise;
      // B serves the stale value too; its refresh finds A's lease and leaves the refresh to A.
      expect(await inB('EUR')).toEqual({ currency: 'EUR', run: 1 });
      await eventually(() => expect(claimsOfB).toHaveBeenCalled());
      expect(await claimsOfB.mock.results[0]!.value).toEqual(expect.any(Number));
      release.resolve();

      await eventually(async () => expect([await inA('EUR'), await inB('EUR')]).toEqual([{ currency: 'EUR', run: 2 }, { currency: 'EUR', run: 2 }]));
      expect(runs).toBe(2);
    });

    it('each run it with lease: false', async () => {
      const { first, second, started, startedTwice, finish, runs } = instances(makeUrl().split('?')[0]!, { lease: false });
      const one = first(1);
      await started.promise;
      const two = second(1);
      await startedTwice.promise;
      finish.resolve();
      expect(await Promise.all([one, two])).toEqual([{ id: 1, by: 'first' }, { id: 1, by: 'second' }]);
      expect(runs()).toBe(2);
    });
  });
});

describe.skipIf(!redis)('when the store cannot take leases (EVAL refused)', () => {
  it('runs the call itself, with an error event lease-error, and answers', async () => {
    const server = await RedisServer.start({ args: ['--rename-command', 'EVAL', ''] });
    try {
      const errors: LarderEvent[] = [];
      const larder = open({ store: server.url });
      larder.on('error', (event: LarderEvent) => errors.push(event));
      let runs = 0;
      const twice = cacheData(async function twice(n: number) {
        runs++;
        return n * 2;
      }, { larder });
      expect(await twice(2)).toBe(4);
      expect(runs).toBe(1);
      expect(errors.map((event) => event.reason)).toEqual(['lease-error']);
    } finally {
      await server.stop();
    }
  });
});

describe('the lease option', () => {
  it('takes a duration or false, wherever it is given', () => {
    expect(() => createLarder({ lease: '30s' }).close()).not.toThrow();
    expect(() => createLarder({ lease: false }).close()).not.toThrow();
    expect(() => cacheData(async function f() {}, { lease: 5 })).not.toThrow();
  });

  it.each([
    ['a lease that never lapses', { lease: 'forever' }, BadOptionError, /Invalid option 'lease'.*must lapse/],
    ['true', { lease: true }, BadOptionError, /Invalid option 'lease'/],
    ['a typo', { lease: '10 secs!' }, BadDurationError, /lease/],
  ])('refuses %s at startup', (_label, options, type, message) => {
    expect(() => createLarder(options as LarderOptions)).toThrow(type);
    expect(() => createLarder(options as LarderOptions)).toThrow(message);
  });
});
