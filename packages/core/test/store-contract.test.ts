import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import KeyvRedis, { createClient } from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import { Keyv } from 'keyv';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../src/clock.js';
import { BadOptionError, StoreConfigError } from '../src/errors.js';
import type { Store } from '../src/store/store.js';
import { KeyvStore } from '../src/store/backends/keyv-store.js';
import { DEFAULT_MAX_BYTES, MemoryStore, entrySize, type EvictionReason } from '../src/store/backends/memory-store.js';
import { resolveStore } from '../src/store/backends/resolve-store.js';
import { RedisServer, maybeRedis } from '../../../test/support/redis-server.js';
import { eventually } from '../../../test/support/async.js';
import { sqliteKeys } from '../../../test/support/sqlite.js';
import { takeWarnings } from '../../../test/support/quiet.js';

/** The one warning a store that cannot be reached prints, naming it. */
const unreachable = (where: string) => [expect.objectContaining({ code: 'LARDER_STORE_UNREACHABLE', message: expect.stringContaining(where) })];

const redis = await maybeRedis();
const scratch = mkdtempSync(join(tmpdir(), 'larder-stores-'));
afterAll(async () => {
  await redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Stores opened by a test; closed after it, so no connection outlives its test. */
const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});
function track<S extends Store>(store: S): S {
  opened.push(store);
  return store;
}

interface Backend {
  /** A fresh store; namespaces separate what stores sharing one backend see. */
  make(namespace: string): Store;
  /** Lets `ms` pass for the store's TTLs (an injected clock, or real time). */
  elapse(ms: number): Promise<void>;
  /** A TTL short enough to wait out, long enough to read the entry back first. */
  shortTtlMs: number;
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const bytes = (text: string) => Buffer.from(text, 'utf8');
const ns = () => `larder-test-${randomUUID().slice(0, 8)}`;

function describeStoreContract(name: string, backend: () => Backend): void {
  describe(`${name} store (contract)`, () => {
    const { make: open, elapse, shortTtlMs } = backend();
    const make = (namespace = ns()) => track(open(namespace));

    it('reads back what was written, and undefined for a missing key', async () => {
      const store = make();
      expect(await store.get('e:missing')).toBeUndefined();
      await store.set('e:a', bytes('one'));
      await store.set('e:a', bytes('two'));
      expect(await store.get('e:a')).toEqual(bytes('two'));
    });

    it('reads many keys at once, in order, with undefined for misses', async () => {
      const store = make();
      await store.set('e:a', bytes('A'));
      await store.set('t:b', bytes('B'));
      expect(await store.getMany(['t:b', 'e:missing', 'e:a'])).toEqual([bytes('B'), undefined, bytes('A')]);
      expect(await store.getMany([])).toEqual([]);
    });

    it('deletes a key and says whether it was there', async () => {
      const store = make();
      await store.set('e:a', bytes('A'));
      expect(await store.delete('e:a')).toBe(true);
      expect(await store.delete('e:a')).toBe(false);
      expect(await store.get('e:a')).toBeUndefined();
    });

    it('round-trips every byte value, empty values and large random values exactly', async () => {
      const store = make();
      const large = randomBytes(1024 * 1024);
      const view = Buffer.concat([bytes('junk'), ALL_BYTES]).subarray(4);
      await store.set('e:all', ALL_BYTES);
      await store.set('e:empty', Buffer.alloc(0));
      await store.set('e:large', large);
      await store.set('e:view', view);
      expect((await store.get('e:all'))?.equals(ALL_BYTES)).toBe(true);
      expect(await store.get('e:empty')).toEqual(Buffer.alloc(0));
      expect((await store.get('e:large'))?.equals(large)).toBe(true);
      const [all, view2] = await store.getMany(['e:all', 'e:view']);
      expect(all?.equals(ALL_BYTES) && view2?.equals(ALL_BYTES)).toBe(true);
    });

    it('keeps its own copy of a written value', async () => {
      const store = make();
      const value = Buffer.from(ALL_BYTES);
      await store.set('e:a', value);
      value.fill(0);
      expect((await store.get('e:a'))?.equals(ALL_BYTES)).toBe(true);
    });

    it('expires entries after their TTL, and keeps entries without one', async () => {
      const store = make();
      await store.set('e:short', bytes('S'), shortTtlMs);
      await store.set('e:forever', bytes('F'));
      expect(await store.get('e:short')).toEqual(bytes('S'));
      await elapse(shortTtlMs * 2);
      expect(await store.get('e:short')).toBeUndefined();
      expect(await store.getMany(['e:short', 'e:forever'])).toEqual([undefined, bytes('F')]);
    });

    it('rejects a TTL that is not a positive number of milliseconds', async () => {
      const store = make();
      for (const ttl of [0, -5, Number.NaN]) {
        await expect(store.set('e:a', bytes('A'), ttl)).rejects.toThrow(RangeError);
      }
      await store.set('e:a', bytes('A'), 10_000.5);
      expect(await store.get('e:a')).toEqual(bytes('A'));
    });

    it('clears only its own namespace', async () => {
      const mine = make('larder-mine-' + randomUUID());
      const theirs = make('larder-theirs-' + randomUUID());
      await mine.set('e:a', bytes('mine'));
      await theirs.set('e:a', bytes('theirs'));
      await mine.clear();
      expect(await mine.get('e:a')).toBeUndefined();
      expect(await theirs.get('e:a')).toEqual(bytes('theirs'));
    });

    it('closes idempotently, and refuses work once closed', async () => {
      const store = make();
      await store.set('e:a', bytes('A'));
      await store.close();
      await store.close();
      await expect(store.get('e:a')).rejects.toThrow(/closed/);
      await expect(store.set('e:a', bytes('A'))).rejects.toThrow(/closed/);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Memory

class ManualClock implements Clock {
  time = 1_700_000_000_000;
  now(): number {
    return this.time;
  }
}

describeStoreContract('memory', () => {
  const clock = new ManualClock();
  return {
    make: () => new MemoryStore({ clock }),
    elapse: async (ms) => void (clock.time += ms),
    shortTtlMs: 60_000,
  };
});

describe('MemoryStore', () => {
  function setup(options: { maxEntries?: number; maxBytes?: number } = {}) {
    const clock = new ManualClock();
    const evictions: Array<[string, EvictionReason]> = [];
    const store = track(new MemoryStore({ ...options, clock, onEvict: (key, reason) => evictions.push([key, reason]) }));
    return { store, clock, evictions };
  }
  const value = Buffer.alloc(100, 1);
  const size = entrySize('e:a', value);

  it('answers synchronously, moving a hit to the most recently used end', async () => {
    const { store, evictions } = setup({ maxEntries: 2 });
    await store.set('e:a', value);
    await store.set('e:b', value);
    expect(store.getSync('e:a')).toEqual(value);
    await store.set('e:c', value);
    expect(evictions).toEqual([['e:b', 'lru']]);
    expect(store.getSync('e:b')).toBeUndefined();
    expect(store.size).toBe(2);
  });

  it('keeps recency right through repeated reads of one entry, deletes and rewrites', async () => {
    const { store, evictions } = setup({ maxEntries: 3 });
    for (const key of ['e:a', 'e:b', 'e:c']) await store.set(key, value);
    for (const key of ['e:c', 'e:c', 'e:a', 'e:a', 'e:b', 'e:b', 'e:c']) store.getSync(key);
    // Least recently used first: a, b, c.
    await store.delete('e:c');
    await store.set('e:c', value);
    store.getSync('e:a');
    store.getSync('e:c');
    // Now b, a, c.
    await store.set('e:d', value);
    await store.set('e:e', value);
    expect(evictions).toEqual([['e:b', 'lru'], ['e:a', 'lru']]);
  });

  it('evicts the least recently used entries to stay within maxBytes', async () => {
    const { store, evictions } = setup({ maxBytes: size * 3 });
    for (const key of ['e:a', 'e:b', 'e:c']) await store.set(key, value);
    expect(store.bytes).toBe(size * 3);
    await store.get('e:a');
    await store.set('e:d', value);
    expect(evictions).toEqual([['e:b', 'lru']]);
    await store.set('e:e', Buffer.alloc(value.length * 2, 1));
    expect(evictions.map(([key]) => key)).toEqual(['e:b', 'e:c', 'e:a']);
    expect(store.bytes).toBeLessThanOrEqual(size * 3);
  });

  it('does not store a value larger than maxBytes, and drops the key it would have replaced', async () => {
    const { store } = setup({ maxBytes: size * 3 });
    await store.set('e:a', value);
    await store.set('e:a', Buffer.alloc(size * 3));
    expect(store.getSync('e:a')).toBeUndefined();
    expect(store.bytes).toBe(0);
  });

  it('never evicts tag versions, which count toward maxBytes but not maxEntries', async () => {
    const { store, evictions } = setup({ maxEntries: 1, maxBytes: size * 3 });
    await store.set('t:users', value);
    await store.set('e:a', value);
    await store.set('e:b', value);
    expect(evictions).toEqual([['e:a', 'lru']]);
    await store.set('t:posts', value);
    await store.set('t:orders', value);
    await store.set('e:c', value);
    expect(store.getSync('e:c')).toBeUndefined();
    expect(store.getSync('t:users') && store.getSync('t:posts') && store.getSync('t:orders')).toEqual(value);
  });

  it('evicts expired entries first when it needs room, reporting them as expired', async () => {
    const { store, clock, evictions } = setup({ maxEntries: 2 });
    await store.set('e:old', value);
    await store.set('e:short', value, 1_000);
    await store.get('e:old');
    clock.time += 1_001;
    await store.set('e:new', value);
    expect(evictions).toEqual([['e:short', 'expired']]);
  });

  it('drops expired entries nobody reads again, a few per write, without any timer', async () => {
    const { store, clock, evictions } = setup();
    for (let i = 0; i < 20; i++) await store.set(`e:junk${i}`, value, 1_000);
    clock.time += 1_001;
    for (let i = 0; i < 10; i++) await store.set(`e:fresh${i}`, value);
    expect(evictions).toHaveLength(20);
    expect(evictions.every(([, reason]) => reason === 'expired')).toBe(true);
    expect(store.size).toBe(10);
  });

  it('expires lazily on read by the injected clock', async () => {
    const { store, clock, evictions } = setup();
    await store.set('e:a', value, 1_000);
    clock.time += 999;
    expect(store.getSync('e:a')).toEqual(value);
    clock.time += 1;
    expect(store.getSync('e:a')).toBeUndefined();
    expect(evictions).toEqual([['e:a', 'expired']]);
  });

  it('is bounded by 256 MiB unless told otherwise, and validates its bounds', async () => {
    expect(DEFAULT_MAX_BYTES).toBe(256 * 1024 * 1024);
    const store = track(new MemoryStore());
    await store.set('e:huge', Buffer.allocUnsafe(DEFAULT_MAX_BYTES));
    expect(store.size).toBe(0);
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(BadOptionError);
    expect(() => new MemoryStore({ maxEntries: 1.5 })).toThrow(/maxEntries/);
    expect(() => new MemoryStore({ maxBytes: Number.NaN })).toThrow(/maxBytes/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// SQLite

const sqliteFile = join(scratch, 'contract', 'cache.sqlite');
const realTime = { elapse: (ms: number) => sleep(ms), shortTtlMs: 150 };

describeStoreContract('sqlite', () => ({
  make: (namespace) => resolveStore(`sqlite://${sqliteFile}`, { clock: systemClock, namespace }),
  ...realTime,
}));

describe('SQLite store', () => {
  it('deletes expired rows of its own namespace when swept', async () => {
    const file = join(scratch, `sweep-${randomUUID()}.sqlite`);
    const store = track(resolveStore(`sqlite://${file}`, { clock: systemClock, namespace: 'mine' })) as KeyvStore;
    const other = track(resolveStore(`sqlite://${file}`, { clock: systemClock, namespace: 'other' }));
    await store.set('e:short', bytes('S'), 50);
    await store.set('e:forever', bytes('F'));
    await other.set('e:short', bytes('S'), 50);
    await sleep(80);
    expect(await sqliteKeys(file)).toEqual(['mine:e:forever', 'mine:e:short', 'other:e:short']);
    expect(await store.sweepExpired()).toBe(1);
    expect(await sqliteKeys(file)).toEqual(['mine:e:forever', 'other:e:short']);
  });

  it('sweeps by itself in the background', async () => {
    const file = join(scratch, `background-${randomUUID()}.sqlite`);
    const store = track(KeyvStore.fromAdapter(new KeyvSqlite({ uri: `sqlite://${file}` }), { sweepIntervalMs: 25 }));
    await store.set('e:short', bytes('S'), 20);
    await sleep(150);
    expect(await sqliteKeys(file)).toEqual([]);
  });

  it('survives a restart (a new store on the same file)', async () => {
    const file = join(scratch, `restart-${randomUUID()}.sqlite`);
    const first = resolveStore(`sqlite://${file}`, { clock: systemClock });
    await first.set('e:a', ALL_BYTES);
    await first.close();
    const second = track(resolveStore(`sqlite://${file}`, { clock: systemClock }));
    expect((await second.get('e:a'))?.equals(ALL_BYTES)).toBe(true);
  });

  it('rejects operations when the file cannot be opened, without unhandled rejections', async () => {
    const store = track(resolveStore(`sqlite://${scratch}`, { clock: systemClock }));
    await expect(store.get('e:a')).rejects.toThrow(/SQLITE_CANTOPEN/);
    await expect(store.set('e:a', bytes('A'))).rejects.toThrow();
    await expect(store.getMany(['e:a'])).rejects.toThrow();
    await eventually(() => expect(takeWarnings()).toEqual(unreachable(scratch)));
  });
});

// ---------------------------------------------------------------------------------------------------------
// Redis

describe.skipIf(!redis)('with a real redis-server', () => {
  const server = redis!;

  describeStoreContract('redis', () => ({
    make: (namespace) => resolveStore(server.url, { clock: systemClock, namespace }),
    ...realTime,
  }));

  async function commandCalls(): Promise<Record<string, number>> {
    const client = createClient({ url: server.url });
    await client.connect();
    try {
      const info = await client.info('commandstats');
      return Object.fromEntries([...info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)].map(([, cmd, calls]) => [cmd, Number(calls)]));
    } finally {
      client.destroy();
    }
  }

  describe('Redis store', () => {
    it('reads many keys in one MGET round trip', async () => {
      const store = track(resolveStore(server.url, { clock: systemClock, namespace: ns() }));
      await store.set('e:a', bytes('A'));
      const before = await commandCalls();
      expect(await store.getMany(['e:a', 'e:b', 'e:c'])).toEqual([bytes('A'), undefined, undefined]);
      const after = await commandCalls();
      expect((after.mget ?? 0) - (before.mget ?? 0)).toBe(1);
      expect(after.get ?? 0).toBe(before.get ?? 0);
    });

    it('clears its namespace and nothing else in the database', async () => {
      const store = track(resolveStore(server.url, { clock: systemClock, namespace: ns() }));
      const client = createClient({ url: server.url });
      await client.connect();
      try {
        await client.set('someone-else', 'x');
        await store.set('e:a', bytes('A'));
        await store.clear();
        expect(await store.get('e:a')).toBeUndefined();
        expect(await client.get('someone-else')).toBe('x');
      } finally {
        client.destroy();
      }
    });

    it('keeps databases apart (redis://host:port/db)', async () => {
      const namespace = ns();
      const db0 = track(resolveStore(server.url, { clock: systemClock, namespace }));
      const db1 = track(resolveStore(`${server.url}/1`, { clock: systemClock, namespace }));
      await db1.set('e:a', bytes('A'));
      expect(await db1.get('e:a')).toEqual(bytes('A'));
      expect(await db0.get('e:a')).toBeUndefined();
    });
  });

  describe('when Redis is down', () => {

    async function expectQuickRejection(operation: Promise<unknown>): Promise<void> {
      const started = Date.now();
      await expect(operation).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1_000);
    }

    it('creates the store anyway, rejects quickly, and recovers once Redis starts', async () => {
      const down = await RedisServer.reserve();
      try {
        const store = track(resolveStore(down.url, { clock: systemClock, namespace: ns() }));
        await expectQuickRejection(store.get('e:a'));
        expect(takeWarnings()).toEqual(unreachable(`redis://127.0.0.1:${down.port}`));
        await expectQuickRejection(store.set('e:a', bytes('A'), 1_000));
        await expectQuickRejection(store.getMany(['e:a', 'e:b']));
        await expectQuickRejection(store.delete('e:a'));
        await expectQuickRejection(store.clear());
        await down.start();
        await eventually(() => store.set('e:a', ALL_BYTES));
        expect((await store.get('e:a'))?.equals(ALL_BYTES)).toBe(true);
      } finally {
        await down.stop();
      }
    });

    it('rejects quickly when Redis dies, and resumes when it comes back', async () => {
      const flaky = await RedisServer.start();
      try {
        const store = track(resolveStore(flaky.url, { clock: systemClock, namespace: ns() }));
        await store.set('e:a', bytes('A'));
        await flaky.stop();
        await eventually(() => expectQuickRejection(store.get('e:a')), 2_000);
        await expectQuickRejection(store.get('e:a'));
        await expectQuickRejection(store.set('e:b', bytes('B')));
        await flaky.start();
        await eventually(() => store.set('e:b', bytes('B')));
        expect(await store.getMany(['e:a', 'e:b'])).toEqual([undefined, bytes('B')]);
      } finally {
        await flaky.stop();
      }
    });

    it('closes promptly while Redis is unreachable', async () => {
      const down = await RedisServer.reserve();
      const store = resolveStore(down.url, { clock: systemClock });
      await expectQuickRejection(store.get('e:a'));
      expect(takeWarnings()).toEqual(unreachable(`redis://127.0.0.1:${down.port}`));
      const started = Date.now();
      await store.close();
      expect(Date.now() - started).toBeLessThan(500);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// resolveStore

describe('resolveStore()', () => {
  const settings = { clock: systemClock };

  it('makes a bounded memory store when the option is omitted, empty or memory://', async () => {
    for (const option of [undefined, '', 'memory://']) {
      const store = track(resolveStore(option, { ...settings, maxEntries: 1 }));
      expect(store).toBeInstanceOf(MemoryStore);
      await store.set('e:a', bytes('A'));
      await store.set('e:b', bytes('B'));
      expect(await store.get('e:a')).toBeUndefined();
    }
  });

  it('opens sqlite:// paths relative to the working directory, creating the directory', async () => {
    const cwd = process.cwd();
    const dir = mkdtempSync(join(scratch, 'cwd-'));
    process.chdir(dir);
    try {
      const store = track(resolveStore('sqlite://./nested/dir/cache.sqlite', settings));
      expect(store.kind).toBe('sqlite');
      expect(existsSync(join(dir, 'nested', 'dir'))).toBe(true);
      await store.set('e:a', bytes('A'));
      expect(existsSync(join(dir, 'nested', 'dir', 'cache.sqlite'))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it('opens sqlite:/// absolute paths, creating the directory', async () => {
    const file = join(scratch, 'absolute', randomUUID(), 'cache.sqlite');
    const store = track(resolveStore(`sqlite://${file}`, settings));
    expect(store.kind).toBe('sqlite');
    await store.set('e:a', bytes('A'));
    expect(existsSync(file)).toBe(true);
  });

  it('makes a Redis store for redis:// and rediss:// without connecting synchronously', () => {
    expect(track(resolveStore('redis://127.0.0.1:1/2', settings)).kind).toBe('redis');
    expect(track(resolveStore('rediss://user:secret@127.0.0.1:1', settings)).kind).toBe('redis');
  });

  it('wraps a Keyv instance, and reports its failures as rejections', async () => {
    const keyv = new Keyv();
    const store = track(resolveStore(keyv, settings));
    expect(store).toBeInstanceOf(KeyvStore);
    await store.set('e:all', ALL_BYTES);
    expect((await store.get('e:all'))?.equals(ALL_BYTES)).toBe(true);

    const failing = new Keyv({ store: failingAdapter() });
    await expect(track(resolveStore(failing, settings)).get('e:a')).rejects.toThrow('backend down');
  });

  it('wraps a Keyv storage adapter, detecting its kind', async () => {
    const map = track(resolveStore(new Map(), settings));
    expect(map.kind).toBe('keyv');
    await map.set('e:a', ALL_BYTES);
    expect((await map.getMany(['e:a']))[0]?.equals(ALL_BYTES)).toBe(true);

    const sqlite = track(resolveStore(new KeyvSqlite({ uri: `sqlite://${join(scratch, 'adapter.sqlite')}` }), settings));
    expect(sqlite.kind).toBe('sqlite');

    const redisAdapter = new KeyvRedis('redis://127.0.0.1:1', { throwOnConnectError: true });
    expect(track(resolveStore(redisAdapter, settings)).kind).toBe('redis');
  });

  it('rejects reads of an adapter without getMany instead of turning failures into misses', async () => {
    const store = track(resolveStore(failingAdapter(), settings));
    await expect(store.getMany(['e:a', 'e:b'])).rejects.toThrow('backend down');
    await expect(store.set('e:a', bytes('A'))).rejects.toThrow('backend down');
    await expect(store.delete('e:a')).rejects.toThrow('backend down');
    await expect(store.clear()).rejects.toThrow('backend down');
  });

  it('passes an object that already implements Store through as is', () => {
    const store = new MemoryStore();
    expect(resolveStore(store, settings)).toBe(store);
  });

  it.each([
    ['ftp://example.com/cache', /unknown scheme 'ftp:\/\/'/],
    ['./cache.sqlite', /not a supported store URL/],
    ['sqlite://', /has no file path/],
    ['redis://localhost:6379/cache', /database .* must be a number/],
    ['redis://localhost:port', /not a valid URL/],
  ])('throws a StoreConfigError naming the option and showing examples for %j', (option, problem) => {
    const attempt = () => resolveStore(option, settings);
    expect(attempt).toThrow(StoreConfigError);
    expect(attempt).toThrow(problem);
    expect(attempt).toThrow(/Invalid option 'store'/);
    expect(attempt).toThrow(/sqlite:\/\/\.\/\.larder\/cache\.sqlite/);
    expect(attempt).toThrow(/redis:\/\/localhost:6379/);
  });

  it('throws for values that are not stores, and keeps passwords out of messages', () => {
    expect(() => resolveStore(42 as unknown as string, settings)).toThrow(/number is not a store/);
    expect(() => resolveStore({ get() {} }, settings)).toThrow(StoreConfigError);
    const error = captureError(() => resolveStore('redis://user:hunter2@localhost:6379/x', settings));
    expect(error.message).toContain('user:***@');
    expect(error.message).not.toContain('hunter2');
    expect(error).toMatchObject({ code: 'ERR_LARDER_STORE' });
  });

  it('says which package to install when an adapter is missing', () => {
    const loadModule = (name: string) => {
      throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => resolveStore('sqlite://./cache.sqlite', { ...settings, loadModule })).toThrow(/npm install @keyv\/sqlite/);
    expect(() => resolveStore('redis://localhost:6379', { ...settings, loadModule })).toThrow(/npm install @keyv\/redis/);
    const broken = () => {
      throw Object.assign(new Error(`Cannot find module 'sqlite3'`), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => resolveStore('sqlite://./cache.sqlite', { ...settings, loadModule: broken })).toThrow(
      /could not load @keyv\/sqlite .*sqlite3/,
    );
  });
});

/** A storage adapter whose backend is unreachable; it has no getMany, like many third-party adapters. */
function failingAdapter() {
  const fail = async (): Promise<never> => {
    throw new Error('backend down');
  };
  return { get: fail, set: fail, delete: fail, clear: fail, opts: {}, namespace: undefined as string | undefined, on() {} };
}

function captureError(attempt: () => unknown): Error {
  try {
    attempt();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
