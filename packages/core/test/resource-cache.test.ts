import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BadDurationError,
  ResourceError,
  cacheData,
  cacheResource,
  createLarder,
  type CachedResource,
  type Larder,
  type LarderEvent,
} from '../src/index.js';
import { deferred, manualClock } from '../../../test/support/async.js';

/** A stand-in for a connection pool: it knows whether it was closed, and how often. */
class Pool {
  static created = 0;
  readonly serial = ++Pool.created;
  readonly queries: string[] = [];
  closes = 0;

  constructor(readonly url: string) {}

  close(): void {
    this.closes++;
  }
}

let clock: ReturnType<typeof manualClock>;
let larder: Larder;

beforeEach(() => {
  clock = manualClock();
  larder = createLarder({ clock });
});

afterEach(async () => {
  await larder.close();
});

describe('cacheResource()', () => {
  describe('on a hit', () => {
    it('returns the same object, so mutations are shared', async () => {
      let runs = 0;
      const getPool = cacheResource(async function getPool(url: string) {
        runs++;
        return new Pool(url);
      }, { larder });

      const first = await getPool('postgres://a');
      first.queries.push('select 1');
      const second = await getPool('postgres://a');

      expect(second).toBe(first);
      expect(second.queries).toEqual(['select 1']);
      expect(runs).toBe(1);
    });

    it('counts hits and misses in larder.stats() under the resource kind', async () => {
      const getPool = cacheResource(async function statsPool(url: string) {
        return new Pool(url);
      }, { larder });

      await getPool('a');
      await getPool('a');
      await getPool('b');
      expect(larder.stats().statsPool).toMatchObject({ kind: 'resource', hits: 1, misses: 2, entries: 2 });
    });
  });

  describe('with different arguments', () => {
    it('creates a different instance per arguments', async () => {
      const getPool = cacheResource(function getPool(url: string) {
        return new Pool(url);
      }, { larder });

      const a = await getPool('postgres://a');
      const b = await getPool('postgres://b');
      expect(a).not.toBe(b);
      expect(await getPool('postgres://a')).toBe(a);
      expect(await getPool('postgres://b')).toBe(b);
    });
  });

  describe('when 100 callers ask for a missing resource at once', () => {
    it('creates it once and hands everyone that one instance', async () => {
      const release = deferred();
      const started = deferred();
      let runs = 0;
      const getModel = cacheResource(async function loadModel(name: string) {
        runs++;
        started.resolve();
        await release.promise;
        return { name, weights: new Float32Array(4) };
      }, { larder });

      const calls = Array.from({ length: 100 }, () => getModel('resnet'));
      await started.promise;
      release.resolve();
      const models = await Promise.all(calls);

      expect(runs).toBe(1);
      expect(new Set(models).size).toBe(1);
    });
  });

  describe('when the factory fails', () => {
    it('rejects every waiter and caches nothing', async () => {
      const release = deferred();
      let runs = 0;
      const connect = cacheResource(async function connect(url: string) {
        runs++;
        await release.promise;
        if (runs === 1) throw new Error(`cannot reach ${url}`);
        return new Pool(url);
      }, { larder });

      const waiters = Array.from({ length: 5 }, () => connect('db'));
      release.resolve();
      const settled = await Promise.allSettled(waiters);
      expect(settled.every((s) => s.status === 'rejected')).toBe(true);
      expect(runs).toBe(1);

      const pool = await connect('db');
      expect(pool).toBeInstanceOf(Pool);
      expect(await connect('db')).toBe(pool);
      expect(runs).toBe(2);
    });
  });

  describe('with validate', () => {
    it('calls it on hits only, never on a fresh creation', async () => {
      const validated: Pool[] = [];
      const getPool = cacheResource(async function validatedPool(url: string) {
        return new Pool(url);
      }, {
        larder,
        validate: (pool) => {
          validated.push(pool);
          return true;
        },
      });

      const pool = await getPool('a');
      expect(validated).toEqual([]);
      await getPool('a');
      await getPool('a');
      expect(validated).toEqual([pool, pool]);
    });

    it('releases the value and creates a new one when it returns false', async () => {
      const log: string[] = [];
      let healthy = true;
      const getPool = cacheResource(async function checkedPool(url: string) {
        const pool = new Pool(url);
        log.push(`create ${pool.serial}`);
        return pool;
      }, {
        larder,
        validate: async (pool) => {
          log.push(`validate ${pool.serial}`);
          return healthy;
        },
        onRelease: (pool) => {
          log.push(`release ${pool.serial}`);
          pool.close();
        },
      });

      const first = await getPool('a');
      healthy = false;
      const second = await getPool('a');
      healthy = true;
      expect(await getPool('a')).toBe(second);

      expect(second).not.toBe(first);
      expect(first.closes).toBe(1);
      expect(second.closes).toBe(0);
      expect(log).toEqual([
        `create ${first.serial}`,
        `validate ${first.serial}`,
        `release ${first.serial}`,
        `create ${second.serial}`,
        `validate ${second.serial}`,
      ]);
    });
  });

  describe('onRelease', () => {
    const track = () => {
      const released: Pool[] = [];
      const onRelease = (pool: Pool) => {
        released.push(pool);
        pool.close();
      };
      return { released, onRelease };
    };

    it('is called once for the least recently used value evicted by maxEntries', async () => {
      const { released, onRelease } = track();
      const getPool = cacheResource((url: string) => new Pool(url), { larder, maxEntries: 2, onRelease, name: 'lruPool' });

      const a = await getPool('a');
      const b = await getPool('b');
      await getPool('a'); // touch a: b is now the least recently used
      await getPool('c');

      expect(released).toEqual([b]);
      expect(b.closes).toBe(1);
      expect(await getPool('a')).toBe(a);
      expect(await getPool('b')).not.toBe(b);
      expect(a.closes).toBe(0);
    });

    it('is called once when a value expires after ttl, and a new one is created', async () => {
      const { released, onRelease } = track();
      const getPool = cacheResource((url: string) => new Pool(url), { larder, ttl: '10m', onRelease, name: 'ttlPool' });

      const first = await getPool('a');
      clock.advance(9 * 60_000);
      expect(await getPool('a')).toBe(first);
      clock.advance(60_000);
      const second = await getPool('a');

      expect(second).not.toBe(first);
      expect(released).toEqual([first]);
      expect(first.closes).toBe(1);
      await getPool('a');
      expect(released).toEqual([first]);
    });

    it('does not extend the lifetime on hits', async () => {
      const getPool = cacheResource((url: string) => new Pool(url), { larder, ttl: 60, name: 'ttlHits' });

      const first = await getPool('a');
      for (let i = 0; i < 5; i++) {
        clock.advance(10_000);
        expect(await getPool('a')).toBe(first);
      }
      clock.advance(10_000);
      expect(await getPool('a')).not.toBe(first);
    });

    it('is called once when validate fails', async () => {
      const { released, onRelease } = track();
      const getPool = cacheResource((url: string) => new Pool(url), {
        larder,
        validate: (pool) => pool.queries.length === 0,
        onRelease,
        name: 'validatePool',
      });

      const first = await getPool('a');
      first.queries.push('broken');
      await getPool('a');
      await getPool('a');
      expect(released).toEqual([first]);
    });

    it('is called once for the value dropped by clear(args), and only for it', async () => {
      const { released, onRelease } = track();
      const getPool = cacheResource(function clearedPool(url: string) {
        return new Pool(url);
      }, { larder, onRelease });

      const a = await getPool('a');
      const b = await getPool('b');
      await getPool.clear('a');
      await getPool.clear('a');

      expect(released).toEqual([a]);
      expect(await getPool('a')).not.toBe(a);
      expect(await getPool('b')).toBe(b);
    });

    it('is called once per value on clear()', async () => {
      const { released, onRelease } = track();
      const getPool = cacheResource((url: string) => new Pool(url), { larder, onRelease, name: 'clearAll' });

      const a = await getPool('a');
      const b = await getPool('b');
      await getPool.clear();
      await getPool.clear();

      expect(released).toHaveLength(2);
      expect(new Set(released)).toEqual(new Set([a, b]));
      expect(await getPool('a')).not.toBe(a);
    });

    it('is called once per value on larder.close(), even when closed twice', async () => {
      const { released, onRelease } = track();
      const getPool = cacheResource((url: string) => new Pool(url), { larder, onRelease, name: 'closePool' });

      const a = await getPool('a');
      const b = await getPool('b');
      await larder.close();
      await larder.close();

      expect(new Set(released)).toEqual(new Set([a, b]));
      expect(released).toHaveLength(2);
      expect(a.closes).toBe(1);
      expect(b.closes).toBe(1);
    });

    it('emits an evict event with the reason', async () => {
      const events: LarderEvent[] = [];
      larder.on('evict', (event: LarderEvent) => events.push(event));
      const getPool = cacheResource((url: string) => new Pool(url), { larder, maxEntries: 1, name: 'evictPool' });

      await getPool('a');
      await getPool('b');
      await getPool.clear();
      expect(events.map((e) => [e.cache, e.kind, e.reason])).toEqual([
        ['evictPool', 'resource', 'max-entries'],
        ['evictPool', 'resource', 'cleared'],
      ]);
    });
  });

  describe('after larder.close()', () => {
    it('rejects calls with ResourceError', async () => {
      const getPool = cacheResource((url: string) => new Pool(url), { larder, name: 'afterClose' });
      await getPool('a');
      await larder.close();

      await expect(getPool('a')).rejects.toBeInstanceOf(ResourceError);
    });

    it('releases a value whose creation finished after the close, and rejects its callers', async () => {
      const release = deferred();
      const started = deferred();
      const released: Pool[] = [];
      const getPool = cacheResource(async function latePool(url: string) {
        started.resolve();
        await release.promise;
        return new Pool(url);
      }, { larder, onRelease: (pool) => void released.push(pool) });

      const pending = getPool('a');
      await started.promise;
      await larder.close();
      release.resolve();

      await expect(pending).rejects.toBeInstanceOf(ResourceError);
      expect(released).toHaveLength(1);
    });
  });

  describe('cacheResource.clear() — Streamlit\'s st.cache_resource.clear()', () => {
    it('releases every value of every cacheResource function of the larder, each onRelease once', async () => {
      const released: string[] = [];
      const getPool = cacheResource((url: string) => new Pool(url), { larder, onRelease: (pool) => void released.push(`pool ${pool.url}`) });
      const getModel = cacheResource(() => ({ model: 'sentiment' }), { larder, onRelease: () => void released.push('model') });
      const a = await getPool('a');
      await getPool('b');
      await getModel();

      await cacheResource.clear(larder);
      expect(released.sort()).toEqual(['model', 'pool a', 'pool b']);
      expect(await getPool('a')).not.toBe(a);
      await cacheResource.clear(larder);
      expect(released.filter((name) => name === 'pool a')).toHaveLength(2);
    });

    it('disposes what the resource registry created too; the next get creates it again', async () => {
      const disposed: unknown[] = [];
      larder.resources.register('db', () => new Pool('db'), { dispose: (pool) => void disposed.push(pool) });
      const first = await larder.resources.get<Pool>('db');
      await cacheResource.clear(larder);
      expect(disposed).toEqual([first]);
      expect(await larder.resources.get<Pool>('db')).not.toBe(first);
    });

    it('releases the rest when one onRelease throws, then rethrows it', async () => {
      const released: string[] = [];
      const failing = cacheResource(() => ({}), { larder, name: 'failing', onRelease: () => { throw new Error('cannot close'); } });
      const fine = cacheResource(() => ({}), { larder, name: 'fine', onRelease: () => void released.push('fine') });
      await failing();
      await fine();
      await expect(cacheResource.clear(larder)).rejects.toThrow('cannot close');
      expect(released).toEqual(['fine']);
    });

    it('uses the default larder when given none', async () => {
      const released: unknown[] = [];
      const getClient = cacheResource(() => ({ client: 1 }), { onRelease: (client) => void released.push(client) });
      const client = await getClient();
      await cacheResource.clear();
      expect(released).toEqual([client]);
    });
  });

  describe('clearing a method: instance.method.clear(arg)', () => {
    class Repo {
      declare connect: CachedResource<(table: string) => Promise<{ db: string; table: string; n: number }>>;
      constructor(readonly db: string) {}
      [Symbol.for('larder.hashKey')]() {
        return this.db;
      }
    }

    it('releases the values for that argument, of every instance (the wrapper cannot see which instance it was read from)', async () => {
      let made = 0;
      const released: string[] = [];
      const connect = cacheResource(async function connect(this: Repo, table: string) {
        return { db: this.db, table, n: ++made };
      }, { larder, onRelease: (c) => void released.push(`${c.db}.${c.table}`) });
      Repo.prototype.connect = connect;
      const main = new Repo('main');
      const replica = new Repo('replica');
      const users = await main.connect('users');
      await replica.connect('users');
      const orders = await main.connect('orders');
      expect(await main.connect('users')).toBe(users);

      await main.connect.clear('users');
      expect(released.sort()).toEqual(['main.users', 'replica.users']);
      expect(await main.connect('users')).not.toBe(users);
      expect(await main.connect('orders')).toBe(orders);

      // With the instance as `this`, only that instance's value goes.
      await connect.clear.call(replica as never, 'orders');
      expect(released).not.toContain('main.orders');
      await connect.clear.call(main as never, 'orders');
      expect(released).toContain('main.orders');
    });
  });

  describe('when an option is invalid', () => {
    it('throws at construction', () => {
      expect(() => cacheResource(() => 1, { ttl: '5 minuets' })).toThrow(BadDurationError);
      expect(() => cacheResource(() => 1, { maxEntries: 0 })).toThrow(/maxEntries/);
      expect(() => cacheResource(() => 1, { validate: 'yes' as never })).toThrow(/validate/);
      expect(() => cacheResource(() => 1, { onRelease: 42 as never })).toThrow(/onRelease/);
    });
  });

  describe('when a resource is passed to a cacheData function', () => {
    it('hashes by its resource identity, without hashFuncs', async () => {
      const getPool = cacheResource(function sharedPool(url: string) {
        return new Pool(url);
      }, { larder });
      let runs = 0;
      const countRows = cacheData(function countRows(pool: Pool, table: string) {
        runs++;
        pool.queries.push(`count ${table}`);
        return { table, count: 3 };
      }, { larder });

      const pool = await getPool('postgres://a');
      expect(await countRows(pool, 'users')).toEqual({ table: 'users', count: 3 });
      pool.queries.push('state changed'); // identity, not content, is the key
      expect(await countRows(await getPool('postgres://a'), 'users')).toEqual({ table: 'users', count: 3 });
      expect(runs).toBe(1);

      await countRows(await getPool('postgres://b'), 'users');
      expect(runs).toBe(2);
    });
  });
});
