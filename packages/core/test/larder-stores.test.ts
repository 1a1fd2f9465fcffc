/**
 * Larder over real stores: store selection, persistence across processes, failing open, integrity,
 * bounds, close() and stats. The memory store, a real SQLite file and a real redis-server (skipped loudly
 * when redis-server is missing, required under CI=true); other processes are real Node processes running
 * fixtures/store-worker.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import KeyvRedis, { createClient } from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import { Keyv } from 'keyv';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  ResourceError,
  StoreConfigError,
  cacheData,
  cacheResource,
  configure,
  createLarder,
  defaultLarder,
  type Larder,
  type LarderEvent,
  type LarderEventName,
  type LarderOptions,
} from '../src/index.js';
import { decodeEntry, type Store } from '../src/adapter.js';
import { systemClock } from '../src/clock.js';
import { KeyvStore } from '../src/store/backends/keyv-store.js';
import { MemoryStore } from '../src/store/backends/memory-store.js';
import { resolveStore } from '../src/store/backends/resolve-store.js';
import { RedisServer, maybeRedis } from '../../../test/support/redis-server.js';
import { deferred, eventually, type Deferred } from '../../../test/support/async.js';
import { sqliteKeys } from '../../../test/support/sqlite.js';
import { takeWarnings } from '../../../test/support/quiet.js';

const redis = await maybeRedis();
const scratch = mkdtempSync(join(tmpdir(), 'larder-larder-stores-'));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WORKER = fileURLToPath(new URL('./fixtures/store-worker.ts', import.meta.url));
const OPEN_CLOSE = fileURLToPath(new URL('./fixtures/open-close.ts', import.meta.url));
/** Generous: child processes start through tsx, on a loaded 2-core CI machine. */
const PROCESS_TEST_TIMEOUT = 90_000;

afterAll(async () => {
  await redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

// ---- helpers --------------------------------------------------------------------------------------------

/** Larders and stores opened by a test; closed after it, so no connection outlives its test. */
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((resource) => resource.close()));
});

/**
 * A read that times out skips the write that follows it (by design), and the first read of a fresh SQLite
 * file or Redis connection can take longer than the default 100 ms on a loaded CI machine. Tests that count
 * on writes landing use this; the failing-open tests set `storeTimeout` themselves.
 */
const PATIENT_STORE_TIMEOUT = '10s';

function open(options: LarderOptions): Larder {
  const larder = createLarder({ storeTimeout: PATIENT_STORE_TIMEOUT, ...options });
  opened.push(larder);
  return larder;
}

function openRaw(option: string, namespace: string): KeyvStore {
  const store = resolveStore(option, { clock: systemClock, namespace }) as KeyvStore;
  opened.push(store);
  return store;
}

type Recorded = { name: LarderEventName } & LarderEvent;

/** Records every event a larder emits, in order. */
function recordEvents(larder: Larder): Recorded[] {
  const events: Recorded[] = [];
  for (const name of ['hit', 'miss', 'stale', 'set', 'evict', 'error'] as const) {
    larder.on(name, (event: LarderEvent) => events.push({ name, ...event }));
  }
  return events;
}

/** The next `name` event matching `match`. */
function nextEvent(larder: Larder, name: LarderEventName, match: (event: LarderEvent) => boolean = () => true): Promise<LarderEvent> {
  return new Promise((resolve) => {
    const listener = (event: LarderEvent): void => {
      if (!match(event)) return;
      larder.off(name, listener);
      resolve(event);
    };
    larder.on(name, listener);
  });
}


/** Resolves with `promise`, or rejects when it has not settled after `ms`: a hang detector, not a timing assertion. */
async function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

const ns = (): string => `t${randomUUID().slice(0, 8)}`;
const sqliteUrl = (): string => `sqlite://${join(scratch, `${randomUUID()}.sqlite`)}`;
const fileOf = (url: string): string => url.slice('sqlite://'.length);

let nextRedisDb = 1;
/** A Redis database of its own for one test (the server is shared by the whole file). */
const redisDbUrl = (): string => `${redis!.url}/${nextRedisDb++ % 16}`;

const rawRedisClient = (url: string) => createClient({ url });

/** A plain node-redis client on `url` for the duration of `use`, to look at what Larder stored. */
async function withRedisClient<T>(url: string, use: (client: ReturnType<typeof rawRedisClient>) => Promise<T>): Promise<T> {
  const client = rawRedisClient(url);
  await client.connect();
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

// ---- other processes ------------------------------------------------------------------------------------

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  [field: string]: unknown;
}

/** A Node process running fixtures/store-worker.ts with `LARDER_STORE` set. */
class PeerProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Deferred<Reply>>();
  #nextId = 1;
  #stderr = '';

  constructor(store: string) {
    this.#child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: ROOT,
      env: { ...process.env, LARDER_STORE: store },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child.stderr!.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    // Writing to a process that died is reported by `exited` and the pending replies, not as a crash of the test.
    this.#child.stdin!.on('error', () => {});
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      const reply = JSON.parse(line) as Reply;
      this.#pending.get(reply.id)?.resolve(reply);
      this.#pending.delete(reply.id);
    });
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        for (const pending of this.#pending.values()) {
          pending.resolve({ id: -1, ok: false, error: `worker exited (${code ?? signal}): ${this.#stderr}` });
        }
        resolve({ code, signal });
      });
    });
    peers.push(this);
  }

  async send(op: string, params: Record<string, unknown> = {}): Promise<Reply> {
    const id = this.#nextId++;
    const reply = deferred<Reply>();
    this.#pending.set(id, reply);
    this.#child.stdin!.write(`${JSON.stringify({ id, op, ...params })}\n`);
    const answer = await reply.promise;
    if (!answer.ok) throw new Error(`worker '${op}' failed: ${answer.error}\n${this.#stderr}`);
    return answer;
  }

  /** Closes the worker's larder and ends its input; resolves with how it exited, or 'hung' if it did not exit by itself. */
  async close(ms = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'hung'> {
    await this.send('close');
    this.#child.stdin!.end();
    const outcome = await Promise.race([this.exited, sleep(ms, 'hung' as const)]);
    if (outcome === 'hung') this.kill();
    return outcome;
  }

  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}

const peers: PeerProcess[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) {
    peer.kill();
    await peer.exited;
  }
});

/** Runs a fixture to completion with `LARDER_STORE` set; 'hung' if it does not exit by itself. */
async function runFixture(file: string, store: string, ms = 20_000): Promise<{ code: number | null; stderr: string } | 'hung'> {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    env: { ...process.env, LARDER_STORE: store },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr })),
  );
  const outcome = await Promise.race([exited, sleep(ms, 'hung' as const)]);
  if (outcome === 'hung') {
    child.kill('SIGKILL');
    await exited;
  }
  return outcome;
}

// ---- 1. store selection ---------------------------------------------------------------------------------

describe('createLarder({ store })', () => {
  /** A miss, then a hit served from the store: the value really went through it. */
  async function roundTrip(larder: Larder): Promise<string> {
    let runs = 0;
    const greet = cacheData(async function greet(name: string) {
      runs++;
      return `hello ${name}`;
    }, { larder });
    const written = nextEvent(larder, 'set');
    expect(await greet('ada')).toBe('hello ada');
    const { key } = await written;
    const hit = nextEvent(larder, 'hit');
    expect(await greet('ada')).toBe('hello ada');
    expect((await hit).key).toBe(key);
    expect(runs).toBe(1);
    return key!;
  }

  describe("when given 'sqlite://<path>'", () => {
    it('stores entries as rows of that SQLite file', async () => {
      const url = sqliteUrl();
      const larder = open({ store: url });
      expect(larder.storeKind).toBe('sqlite');
      const key = await roundTrip(larder);
      // The lease taken for the miss (see 'the fleet' tests) is gone once the entry has landed.
      await eventually(async () => expect(await sqliteKeys(fileOf(url))).toEqual([`larder:${key}`]));
    });
  });

  describe.skipIf(!redis)("when given 'redis://host:port'", () => {
    it('stores entries as keys in that Redis server', async () => {
      const url = redisDbUrl();
      const namespace = ns();
      const larder = open({ store: url, namespace });
      expect(larder.storeKind).toBe('redis');
      const key = await roundTrip(larder);
      await eventually(async () => expect(await withRedisClient(url, (client) => client.keys(`${namespace}*`))).toEqual([`${namespace}::${key}`]));
    });
  });

  describe('when given a Keyv instance', () => {
    it('stores entries through it, in its own namespace', async () => {
      const file = join(scratch, `${randomUUID()}.sqlite`);
      const keyv = new Keyv(new KeyvSqlite({ uri: `sqlite://${file}` }), { namespace: 'mine' });
      const larder = open({ store: keyv });
      expect(larder.storeKind).toBe('sqlite');
      const key = await roundTrip(larder);
      expect(typeof (await keyv.get(key))).toBe('string');
      expect(await sqliteKeys(file)).toEqual([`mine:${key}`]);
    });
  });

  describe('when given a Keyv storage adapter', () => {
    it('wraps a SQLite adapter in a Keyv instance of its own', async () => {
      const file = join(scratch, `${randomUUID()}.sqlite`);
      const larder = open({ store: new KeyvSqlite({ uri: `sqlite://${file}` }), namespace: 'adapter' });
      expect(larder.storeKind).toBe('sqlite');
      const key = await roundTrip(larder);
      expect(await sqliteKeys(file)).toEqual([`adapter:${key}`]);
    });

    it.skipIf(!redis)('wraps a Redis adapter, prefixing keys once', async () => {
      const url = redisDbUrl();
      const namespace = ns();
      const larder = open({ store: new KeyvRedis(url), namespace });
      expect(larder.storeKind).toBe('redis');
      const key = await roundTrip(larder);
      expect(await withRedisClient(url, (client) => client.keys(`${namespace}*`))).toEqual([`${namespace}::${key}`]);
    });

    it('accepts a Map as the simplest adapter', async () => {
      const map = new Map<string, unknown>();
      const larder = open({ store: map });
      expect(larder.storeKind).toBe('keyv');
      const key = await roundTrip(larder);
      expect([...map.keys()]).toEqual([`larder:${key}`]);
    });
  });

  describe('when LARDER_STORE is set', () => {
    it('configures the default larder in this process', async () => {
      const url = sqliteUrl();
      const previous = process.env.LARDER_STORE;
      process.env.LARDER_STORE = url;
      try {
        const larder = configure({ storeTimeout: PATIENT_STORE_TIMEOUT });
        expect(defaultLarder()).toBe(larder);
        expect(larder.storeKind).toBe('sqlite');
        const greet = cacheData(async function greetDefault(name: string) {
          return `hello ${name}`;
        });
        const written = nextEvent(larder, 'set');
        await greet('ada');
        const { key } = await written;
        await eventually(async () => expect(await sqliteKeys(fileOf(url))).toEqual([`larder:${key}`]));
      } finally {
        if (previous === undefined) delete process.env.LARDER_STORE;
        else process.env.LARDER_STORE = previous;
        await defaultLarder().close();
      }
    });

    it('configures the default larder of another process', { timeout: PROCESS_TEST_TIMEOUT }, async () => {
      const peer = new PeerProcess(sqliteUrl());
      expect(await peer.send('info')).toMatchObject({ storeKind: 'sqlite' });
      expect(await peer.close()).toEqual({ code: 0, signal: null });
    });
  });

  describe('when the store option is not a usable store', () => {
    it.each(['mongodb://x', 'sqlite:', 'sqlite://', 'redis://localhost:6379/cache'])(
      'throws a StoreConfigError for %j at createLarder, naming the option and showing what to write',
      (store) => {
        const attempt = () => createLarder({ store });
        expect(attempt).toThrow(StoreConfigError);
        expect(attempt).toThrow(/Invalid option 'store'/);
        expect(attempt).toThrow(/store: 'sqlite:\/\/\.\/\.larder\/cache\.sqlite'/);
        expect(attempt).toThrow(/store: 'redis:\/\/localhost:6379'/);
        expect(attempt).toThrow(/Keyv instance or a Keyv storage adapter/);
      },
    );

    it('names the scheme it does not know', () => {
      expect(() => createLarder({ store: 'mongodb://x' })).toThrow(/unknown scheme 'mongodb:\/\/'/);
    });
  });
});

// ---- 2. persistence across processes --------------------------------------------------------------------

const sharedStores: Array<[label: string, kind: string, url: () => string]> = [
  ['a SQLite file', 'sqlite', sqliteUrl],
  ...(redis ? [['a redis-server', 'redis', redisDbUrl] as [string, string, () => string]] : []),
];

describe.each(sharedStores)('when two Node processes share %s', (_label, kind, makeUrl) => {
  it('serves an entry written by one process as a hit in the other, after the writer exited', { timeout: PROCESS_TEST_TIMEOUT }, async () => {
    const url = makeUrl();
    const writer = new PeerProcess(url);
    expect(await writer.send('info')).toMatchObject({ storeKind: kind });
    const written = await writer.send('square', { n: 7 });
    expect(written).toMatchObject({ computed: true, value: { n: 7, square: 49 } });
    expect(await writer.close()).toEqual({ code: 0, signal: null });

    const reader = new PeerProcess(url);
    const read = await reader.send('square', { n: 7 });
    expect(read.computed).toBe(false);
    expect(read.value).toEqual(written.value);
    expect(await reader.close()).toEqual({ code: 0, signal: null });
  });

  it("makes the other process miss after larder.invalidate(tag) in one of them", { timeout: PROCESS_TEST_TIMEOUT }, async () => {
    const url = makeUrl();
    const [a, b] = [new PeerProcess(url), new PeerProcess(url)];
    const { pid: pidA } = await a.send('info');

    expect(await a.send('tagged', { tag: 'team:7' })).toMatchObject({ hit: false, value: `written by ${pidA}` });
    expect(await b.send('tagged', { tag: 'team:7' })).toMatchObject({ hit: true, value: `written by ${pidA}` });

    await b.send('invalidate', { tag: 'team:7' });
    expect(await a.send('tagged', { tag: 'team:7' })).toMatchObject({ hit: false });
    // What a wrote after the invalidation carries the new version: b hits it.
    expect(await b.send('tagged', { tag: 'team:7' })).toMatchObject({ hit: true, value: `written by ${pidA}` });

    expect(await a.close()).toEqual({ code: 0, signal: null });
    expect(await b.close()).toEqual({ code: 0, signal: null });
  });

  it('drops the function\'s entries for the other process after fn.clear() in one of them', { timeout: PROCESS_TEST_TIMEOUT }, async () => {
    const url = makeUrl();
    const [a, b] = [new PeerProcess(url), new PeerProcess(url)];

    expect(await a.send('square', { n: 3 })).toMatchObject({ computed: true });
    expect(await b.send('square', { n: 3 })).toMatchObject({ computed: false });
    await b.send('clear-square');
    // a wrote the entry itself and still lists it in its own index: it must miss all the same.
    expect(await a.send('square', { n: 3 })).toMatchObject({ computed: true });
    expect(await b.send('square', { n: 3 })).toMatchObject({ computed: false });

    expect(await a.close()).toEqual({ code: 0, signal: null });
    expect(await b.close()).toEqual({ code: 0, signal: null });
  });
});

// ---- 3. failing open ------------------------------------------------------------------------------------

/** Collects unhandled rejections while a test runs. */
function watchUnhandledRejections(): { rejections: unknown[]; stop(): void } {
  const rejections: unknown[] = [];
  const listener = (reason: unknown): void => void rejections.push(reason);
  process.on('unhandledRejection', listener);
  return { rejections, stop: () => process.off('unhandledRejection', listener) };
}

/** A store whose reads never settle (a wedged connection); writes succeed. */
function hangingStore(): Store {
  const never = () => new Promise<never>(() => {});
  return {
    kind: 'hanging',
    get: never,
    getMany: never,
    set: async () => {},
    delete: async () => true,
    clear: async () => {},
    close: async () => {},
  };
}

/** A store that is empty to read and refuses every write. */
function refusingStore(): Store {
  const refuse = async (): Promise<never> => {
    throw new Error('disk full');
  };
  return {
    kind: 'refusing',
    get: async () => undefined,
    getMany: async (keys) => keys.map(() => undefined),
    set: refuse,
    delete: refuse,
    clear: refuse,
    close: async () => {},
  };
}

describe('when the store fails', () => {
  describe.skipIf(!redis)('and redis-server dies in the middle of 1,000 cached calls', () => {
    it('resolves every call with the right value, emits error events, and hits again once Redis is back', { timeout: 60_000 }, async () => {
      const flaky = await RedisServer.start();
      const unhandled = watchUnhandledRejections();
      try {
        // Without copies in process: a hit on a copy the server watches makes no round trip, so the calls
        // would not notice the dead server until the client does (the near cache has tests of its own).
        const larder = open({ store: flaky.url, namespace: ns(), storeTimeout: '100ms', nearCacheBytes: 0 });
        const events = recordEvents(larder);
        let runs = 0;
        const lookUp = cacheData(async function lookUp(id: number) {
          runs++;
          return { id, label: `item-${id}`, tags: new Set([id % 3]) };
        }, { larder });
        const expected = (id: number) => ({ id, label: `item-${id}`, tags: new Set([id % 3]) });

        const TOTAL = 1_000;
        const KILL_AT = 300;
        const results: unknown[] = new Array(TOTAL);
        let claimed = 0;
        let killed: Promise<void> | undefined;
        // 20 lanes of sequential calls. Redis is killed (SIGKILL) when call 300 starts; calls 300–399 race its
        // death, and calls from 400 on wait until it is gone, so 600 calls certainly run against a dead server.
        async function lane(): Promise<void> {
          while (claimed < TOTAL) {
            const i = claimed++;
            if (i === KILL_AT) killed = flaky.stop();
            if (i >= KILL_AT + 100) await killed;
            results[i] = await lookUp(i % 50);
          }
        }
        await Promise.all(Array.from({ length: 20 }, lane));

        results.forEach((result, i) => expect(result).toEqual(expected(i % 50)));
        const errors = events.filter((event) => event.name === 'error');
        expect(errors.length).toBeGreaterThan(0);
        expect(errors.every((event) => event.reason === 'store-error' || event.reason === 'store-timeout')).toBe(true);
        expect(events.filter((event) => event.name === 'hit').length).toBeGreaterThan(0);
        expect(runs).toBeGreaterThan(50);
        expect(larder.stats().lookUp!.errors).toBe(errors.length);

        await flaky.start();
        const hit = await eventually(async () => {
          const hits = events.filter((event) => event.name === 'hit').length;
          expect(await lookUp(7)).toEqual(expected(7));
          const now = events.filter((event) => event.name === 'hit').length;
          expect(now).toBe(hits + 1);
          return true;
        }, 15_000);
        expect(hit).toBe(true);
        expect(unhandled.rejections).toEqual([]);
      } finally {
        unhandled.stop();
        await flaky.stop();
      }
    });
  });

  describe.skipIf(!redis)('and Redis is down when the larder is created', () => {
    it('runs the function for every call, without hanging, and closes promptly', async () => {
      const down = await RedisServer.reserve();
      const unhandled = watchUnhandledRejections();
      try {
        const larder = open({ store: down.url, storeTimeout: '100ms' });
        const events = recordEvents(larder);
        let runs = 0;
        const total = cacheData(async function total(a: number, b: number) {
          runs++;
          return a + b;
        }, { larder });
        for (let i = 0; i < 5; i++) {
          expect(await settlesWithin(total(i, 1), 5_000, `call ${i}`)).toBe(i + 1);
          expect(await settlesWithin(total(i, 1), 5_000, `repeated call ${i}`)).toBe(i + 1);
        }
        expect(runs).toBe(10);
        expect(events.filter((event) => event.name === 'error').length).toBeGreaterThanOrEqual(10);
        // Named once, at the first attempt; every failure after that is an error event.
        expect(takeWarnings()).toEqual([expect.objectContaining({ code: 'LARDER_STORE_UNREACHABLE', message: expect.stringContaining(`127.0.0.1:${down.port}`) })]);
        await settlesWithin(larder.close(), 5_000, 'close()');
        expect(unhandled.rejections).toEqual([]);
      } finally {
        unhandled.stop();
      }
    });
  });

  describe('and its reads hang', () => {
    it("answers each call after about storeTimeout, with an error event 'store-timeout'", async () => {
      const larder = open({ store: hangingStore(), storeTimeout: '50ms' });
      const events = recordEvents(larder);
      let runs = 0;
      const fetchPage = cacheData(async function fetchPage(page: number) {
        runs++;
        return { page, rows: [page * 10, page * 10 + 1] };
      }, { larder });

      const concurrent = await settlesWithin(Promise.all([1, 2, 3].map((page) => fetchPage(page))), 2_000, 'three concurrent calls');
      expect(concurrent).toEqual([1, 2, 3].map((page) => ({ page, rows: [page * 10, page * 10 + 1] })));
      expect(await settlesWithin(fetchPage(1), 2_000, 'a repeated call')).toEqual({ page: 1, rows: [10, 11] });
      expect(runs).toBe(4);
      const errors = events.filter((event) => event.name === 'error');
      expect(errors).toHaveLength(4);
      expect(errors.every((event) => event.reason === 'store-timeout' && event.cache === 'fetchPage')).toBe(true);
      expect(String(errors[0]!.error)).toMatch(/storeTimeout/);
      // A timed-out read saw no tag versions, so nothing is written that could outlive an invalidation.
      expect(events.filter((event) => event.name === 'set')).toEqual([]);
    });
  });

  describe('and its writes reject', () => {
    it("still returns the result, with an error event 'store-error' and no entry counted", async () => {
      const larder = open({ store: refusingStore() });
      const events = recordEvents(larder);
      const failed = nextEvent(larder, 'error');
      const loadUser = cacheData(async function loadUser(id: number) {
        return { id, name: 'Ada' };
      }, { larder });

      expect(await loadUser(1)).toEqual({ id: 1, name: 'Ada' });
      expect(await failed).toMatchObject({ cache: 'loadUser', reason: 'store-error' });
      expect(String((await failed).error)).toMatch(/disk full/);
      expect(await loadUser(1)).toEqual({ id: 1, name: 'Ada' });
      expect(larder.stats().loadUser).toMatchObject({ misses: 2, hits: 0, entries: 0, bytes: 0 });
      expect(events.filter((event) => event.name === 'set')).toEqual([]);
    });
  });
});

// ---- 4. integrity ---------------------------------------------------------------------------------------

interface IntegrityBackend {
  /** A larder, and a second handle on its store to write behind Larder's back. */
  open(): { larder: Larder; raw: Store; writeForeign(key: string): Promise<void> };
}

/** A SQLite file or Redis database; another program's JSON record goes under our key through a Keyv instance on the same keys. */
function sharedIntegrityBackend(makeUrl: () => string): IntegrityBackend {
  return {
    open() {
      const url = makeUrl();
      const namespace = ns();
      const raw = openRaw(url, namespace);
      return {
        larder: open({ store: url, namespace }),
        raw,
        writeForeign: async (key) => void (await raw.keyv.set(key, { user: 42, role: 'admin' })),
      };
    },
  };
}

const integrityBackends: Array<[string, IntegrityBackend]> = [
  [
    'memory',
    {
      open() {
        const store = new MemoryStore();
        return {
          larder: open({ store }),
          raw: store,
          writeForeign: (key) => store.set(key, Buffer.from(JSON.stringify({ user: 42, role: 'admin' }))),
        };
      },
    },
  ],
  ['SQLite', sharedIntegrityBackend(sqliteUrl)],
  ...(redis ? [['Redis', sharedIntegrityBackend(redisDbUrl)] as [string, IntegrityBackend]] : []),
];

const corruptions: Array<[string, (raw: Store, key: string, writeForeign: (key: string) => Promise<void>) => Promise<void>]> = [
  ['garbage bytes', (raw, key) => raw.set(key, randomBytes(64))],
  [
    'a truncated entry',
    async (raw, key) => {
      const bytes = (await raw.get(key))!;
      await raw.set(key, bytes.subarray(0, bytes.length - 7));
    },
  ],
  ['a foreign value (valid JSON, wrong magic)', (_raw, key, writeForeign) => writeForeign(key)],
];

describe.each(integrityBackends)('when an entry in the %s store is damaged behind Larder\'s back', (_label, backend) => {
  it.each(corruptions)('treats %s as a miss: recomputes, deletes the key, emits a corrupt error', async (_what, corrupt) => {
    const { larder, raw, writeForeign } = backend.open();
    let runs = 0;
    let gate: Promise<void> | undefined;
    const entered = deferred();
    const profile = cacheData(async function profile(id: number) {
      runs++;
      if (gate) {
        entered.resolve();
        await gate;
      }
      return { id, name: `user-${id}`, joined: new Date(0) };
    }, { larder });
    const expected = { id: 1, name: 'user-1', joined: new Date(0) };

    const written = nextEvent(larder, 'set');
    expect(await profile(1)).toEqual(expected);
    const { key } = await written;
    await corrupt(raw, key!, writeForeign);

    const recompute = deferred();
    gate = recompute.promise;
    const flagged = nextEvent(larder, 'error');
    const rewritten = nextEvent(larder, 'set');
    const call = profile(1);
    await entered.promise;
    expect(await flagged).toMatchObject({ cache: 'profile', key, reason: 'corrupt' });
    // While the function runs again, the damaged value is already gone from the store.
    await eventually(async () => expect(await raw.get(key!)).toBeUndefined());
    recompute.resolve();
    expect(await call).toEqual(expected);
    expect(runs).toBe(2);

    await rewritten;
    const stored = decodeEntry((await raw.get(key!))!);
    expect(typeof stored).toBe('object');
    gate = undefined;
    expect(await profile(1)).toEqual(expected);
    expect(runs).toBe(2);
    expect(larder.stats().profile).toMatchObject({ hits: 1, misses: 2, errors: 1 });
  });
});

// ---- 4b. the near cache ----------------------------------------------------------------------------------

describe.each(sharedStores)('the near cache, on %s', (_label, _kind, makeUrl) => {
  /** Larders on one store and namespace, as separate app instances would be. */
  function shared() {
    const url = makeUrl();
    const namespace = ns();
    return { raw: openRaw(url, namespace), larder: (options: LarderOptions = {}) => open({ store: url, namespace, ...options }) };
  }

  /** The same cached function (same source, so the same keys) in a given larder; `label` tells who computed. */
  function profileIn(larder: Larder, label: string) {
    const runs = { count: 0 };
    const profile = cacheData(async function profile(id: number) {
      runs.count++;
      return { id, by: label };
    }, { larder });
    return { profile, runs };
  }

  /** Flips one byte in the middle of a stored value: its first and last bytes (its fingerprint) stay the same. */
  async function rotTheMiddle(raw: Store, key: string): Promise<void> {
    const bytes = Buffer.from((await raw.get(key))!);
    bytes[bytes.length - 20]! ^= 0xff;
    await raw.set(key, bytes, 60_000);
  }

  it('serves hits from the copy it holds while the store holds the same entry, reading only its fingerprint', async () => {
    const { raw, larder } = shared();
    const writer = larder();
    const { profile, runs } = profileIn(writer, 'writer');
    const written = nextEvent(writer, 'set');
    expect(await profile(1)).toEqual({ id: 1, by: 'writer' });
    const { key } = await written;
    await rotTheMiddle(raw, key!);

    // The writer's copy stands in for the stored bytes: the damage in the middle is never read.
    const errors = vi.fn();
    writer.on('error', errors);
    expect(await profile(1)).toEqual({ id: 1, by: 'writer' });
    expect(runs.count).toBe(1);
    expect(errors).not.toHaveBeenCalled();

    // Another instance has no copy: it reads the bytes, finds the damage and recomputes.
    const other = larder();
    const { profile: otherProfile } = profileIn(other, 'other');
    const flagged = nextEvent(other, 'error');
    expect(await otherProfile(1)).toEqual({ id: 1, by: 'other' });
    expect(await flagged).toMatchObject({ reason: 'corrupt' });
  });

  it('reads every hit whole with nearCacheBytes: 0', async () => {
    const { raw, larder } = shared();
    const writer = larder({ nearCacheBytes: 0 });
    const { profile, runs } = profileIn(writer, 'writer');
    const written = nextEvent(writer, 'set');
    await profile(1);
    const { key } = await written;
    await rotTheMiddle(raw, key!);
    const flagged = nextEvent(writer, 'error');
    expect(await profile(1)).toEqual({ id: 1, by: 'writer' });
    expect(await flagged).toMatchObject({ reason: 'corrupt' });
    expect(runs.count).toBe(2);
  });

  it('serves the new entry after another instance rewrote it', async () => {
    const { larder } = shared();
    const [first, second] = [larder(), larder()];
    const { profile: firstProfile } = profileIn(first, 'first');
    const { profile: secondProfile } = profileIn(second, 'second');
    const written = nextEvent(first, 'set');
    expect(await firstProfile(1)).toEqual({ id: 1, by: 'first' });
    await written;
    expect(await secondProfile(1)).toEqual({ id: 1, by: 'first' });

    await secondProfile.clear(1);
    const rewritten = nextEvent(second, 'set');
    expect(await secondProfile(1)).toEqual({ id: 1, by: 'second' });
    await rewritten;
    expect(await firstProfile(1)).toEqual({ id: 1, by: 'second' });
  });

  it('misses after another instance invalidated a tag or cleared the store', async () => {
    const { larder } = shared();
    const [first, second] = [larder(), larder()];
    // A tagged entry through the engine API, as `cached({ tags })` writes one for a route.
    const space = first.space('near-tagged', 'nearTagged', 'http');
    const key = first.entryKey(space, 'page');
    let version = 0;
    async function page(): Promise<string> {
      const read = await first.read(space, key, ['team:red']);
      if (read.state === 'fresh') return read.entry.payload.toString();
      const written = nextEvent(first, 'set');
      first.write(space, key, Buffer.from(`version ${++version}`), { freshForMs: Infinity, staleForMs: 0 }, read.tagVersions);
      await written;
      return `computed ${version}`;
    }

    // On Redis the change reaches the first instance as a push from the server: a moment after it is made.
    const missesOnce = (computed: string) => eventually(async () => expect(await page()).toBe(computed));
    expect([await page(), await page()]).toEqual(['computed 1', 'version 1']);
    await second.invalidate('team:red');
    await missesOnce('computed 2');
    expect(await page()).toBe('version 2');
    await second.clear();
    await missesOnce('computed 3');
    expect(await page()).toBe('version 3');
  });
});

// ---- 5. bounds ------------------------------------------------------------------------------------------

describe('bounds', () => {
  /** Entries of roughly `size` bytes each, named by their argument. */
  function blobs(larder: Larder, size: number) {
    const computed: number[] = [];
    const blob = cacheData(async function blob(n: number) {
      computed.push(n);
      return Buffer.alloc(size, n);
    }, { larder });
    return { blob, computed };
  }

  describe('the memory store', () => {
    it('keeps at most maxEntries entries, evicting the least recently used with evict events', async () => {
      const larder = open({ maxEntries: 3 });
      const events = recordEvents(larder);
      const { blob, computed } = blobs(larder, 16);
      for (const n of [1, 2, 3]) await blob(n);
      await blob(1); // 1 is now the most recently used; 2 is the least
      await blob(4);
      await blob(5);

      const evicted = events.filter((event) => event.name === 'evict');
      expect(evicted.map((event) => event.reason)).toEqual(['lru', 'lru']);
      expect(evicted.every((event) => event.cache === 'blob')).toBe(true);
      expect(larder.stats().blob!.entries).toBe(3);
      computed.length = 0;
      for (const n of [1, 4, 5]) await blob(n);
      expect(computed).toEqual([]);
      await blob(2);
      expect(computed).toEqual([2]);
    });

    it('keeps at most maxBytes, evicting the least recently used with evict events', async () => {
      const maxBytes = 16 * 1024;
      const larder = open({ maxBytes });
      const events = recordEvents(larder);
      const { blob, computed } = blobs(larder, 4 * 1024);
      for (let n = 1; n <= 10; n++) await blob(n);

      const evicted = events.filter((event) => event.name === 'evict');
      expect(evicted.length).toBeGreaterThanOrEqual(6);
      expect(evicted.every((event) => event.reason === 'lru')).toBe(true);
      expect(larder.stats().blob!.bytes).toBeLessThanOrEqual(maxBytes);
      computed.length = 0;
      await blob(10);
      await blob(1);
      expect(computed).toEqual([1]);
    });
  });

  describe('per-function maxEntries on the SQLite store', () => {
    it('deletes the evicted rows from the file', async () => {
      const url = sqliteUrl();
      const larder = open({ store: url });
      const events = recordEvents(larder);
      const keyOf = new Map<number, string>();
      const row = cacheData(async function row(n: number) {
        return { n };
      }, { larder, maxEntries: 2 });
      for (const n of [1, 2, 3, 4]) {
        const written = nextEvent(larder, 'set');
        await row(n);
        keyOf.set(n, (await written).key!);
      }

      const evicted = events.filter((event) => event.name === 'evict');
      expect(evicted.map((event) => [event.key, event.reason])).toEqual([
        [keyOf.get(1), 'max-entries'],
        [keyOf.get(2), 'max-entries'],
      ]);
      await eventually(async () =>
        expect(await sqliteKeys(fileOf(url))).toEqual([`larder:${keyOf.get(3)}`, `larder:${keyOf.get(4)}`].sort()),
      );
      expect(larder.stats().row).toMatchObject({ entries: 2 });
    });
  });

  describe('expired rows in SQLite', () => {
    it('are deleted by KeyvStore.sweepExpired()', async () => {
      const url = sqliteUrl();
      const store = openRaw(url, 'larder');
      const larder = open({ store });
      const shortLived = cacheData(async function shortLived(n: number) {
        return n;
      }, { larder, ttl: '1m' });
      const kept = cacheData(async function kept(n: number) {
        return n;
      }, { larder });
      const keys: string[] = [];
      for (const call of [() => shortLived(1), () => shortLived(2), () => kept(1)]) {
        const written = nextEvent(larder, 'set');
        await call();
        keys.push((await written).key!);
      }
      await eventually(async () => expect(await sqliteKeys(fileOf(url))).toHaveLength(3));

      // Two minutes later, without waiting: the rows' expiry is wall-clock time in Keyv's records.
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(Date.now() + 2 * 60_000);
        expect(await store.sweepExpired()).toBe(2);
      } finally {
        vi.useRealTimers();
      }
      expect(await sqliteKeys(fileOf(url))).toEqual([`larder:${keys[2]}`]);
    });
  });

  describe.skipIf(!redis)('TTLs on Redis', () => {
    it('reach Redis as positive integer milliseconds (PTTL), never as keys without expiry', async () => {
      const url = redisDbUrl();
      const namespace = ns();
      const larder = open({ store: url, namespace, clock: { now: () => Date.now() + 0.25 } });
      const events = recordEvents(larder);
      const hourly = cacheData(async function hourly() {
        return 'h';
      }, { larder, ttl: '1h' });
      const fractional = cacheData(async function fractional() {
        return 'f';
      }, { larder, ttl: 61.2345 });
      const stale = cacheData(async function staleOk() {
        return 's';
      }, { larder, ttl: '10s', staleWhileRevalidate: '20s' });
      const forever = cacheData(async function forever() {
        return 'forever';
      }, { larder });

      const keys: Record<string, string> = {};
      for (const [name, call] of [['hourly', hourly], ['fractional', fractional], ['stale', stale], ['forever', forever]] as const) {
        const written = nextEvent(larder, 'set');
        await call();
        keys[name] = `${namespace}::${(await written).key!}`;
      }
      const pttl = await withRedisClient(url, async (client) =>
        Object.fromEntries(await Promise.all(Object.entries(keys).map(async ([name, key]) => [name, await client.pTTL(key)]))),
      );
      expect(pttl.hourly).toBeGreaterThan(3_590_000);
      expect(pttl.hourly).toBeLessThanOrEqual(3_600_000);
      expect(pttl.fractional).toBeGreaterThan(0);
      expect(pttl.fractional).toBeLessThanOrEqual(61_235);
      // The entry lives for ttl + staleWhileRevalidate: it must still be there to be served stale.
      expect(pttl.stale).toBeGreaterThan(10_000);
      expect(pttl.stale).toBeLessThanOrEqual(30_000);
      expect(pttl.forever).toBe(-1);
      for (const name of ['hourly', 'fractional', 'stale']) expect(Number.isInteger(pttl[name])).toBe(true);
      expect(events.filter((event) => event.name === 'error')).toEqual([]);
    });
  });
});

// ---- 6. close() -----------------------------------------------------------------------------------------

describe('larder.close()', () => {
  it('releases cached resources and registry resources once, closes the store, and is idempotent', async () => {
    const store = openRaw(sqliteUrl(), 'larder');
    const larder = open({ store });
    const released: string[] = [];
    const openClient = cacheResource(async function openClient(name: string) {
      return { name };
    }, { larder, onRelease: (client) => void released.push(`client:${client.name}`) });
    larder.resources.register('pool', () => ({ size: 4 }), { dispose: () => void released.push('pool') });
    const double = cacheData(async function double(n: number) {
      return n * 2;
    }, { larder });
    await openClient('a');
    await openClient('b');
    await larder.resources.get('pool');
    const written = nextEvent(larder, 'set');
    await double(2);
    await written;

    const first = larder.close();
    const second = larder.close();
    await Promise.all([first, second]);
    await larder.close();
    expect(larder.closed).toBe(true);
    expect(released.sort()).toEqual(['client:a', 'client:b', 'pool']);
    // The store was closed too: it refuses work.
    await expect(store.get('e:any')).rejects.toThrow(/closed/);
  });

  it('makes later calls reject with ResourceError', async () => {
    const larder = open({ store: sqliteUrl() });
    const double = cacheData(async function double(n: number) {
      return n * 2;
    }, { larder });
    const openClient = cacheResource(async function openClient() {
      return {};
    }, { larder });
    larder.resources.register('pool', () => ({}));
    expect(await double(1)).toBe(2);
    await larder.close();

    await expect(double(1)).rejects.toThrow(ResourceError);
    await expect(double.clear()).rejects.toThrow(ResourceError);
    await expect(double.clear(1)).rejects.toThrow(ResourceError);
    await expect(openClient()).rejects.toThrow(ResourceError);
    await expect(larder.resources.get('pool')).rejects.toThrow(ResourceError);
    await expect(larder.invalidate('users')).rejects.toThrow(ResourceError);
    await expect(larder.clear()).rejects.toThrow(ResourceError);
    await expect(cacheData.clear(larder)).rejects.toThrow(ResourceError);
    await expect(double(1)).rejects.toMatchObject({ code: 'ERR_LARDER_RESOURCE', message: expect.stringMatching(/createLarder/) });
  });

  describe.skipIf(!redis)('on a Redis store', () => {
    /** Clients connected to the server, other than the one asking. */
    const connections = (url: string) =>
      withRedisClient(url, async (client) => String(await client.sendCommand(['CLIENT', 'LIST'])).trim().split('\n').length - 1);

    it('closes its connection', async () => {
      // A server of its own, so that no other test's connections are counted.
      const server = await RedisServer.start();
      try {
        expect(await connections(server.url)).toBe(0);
        const larder = open({ store: server.url });
        const double = cacheData(async function double(n: number) {
          return n * 2;
        }, { larder });
        const written = nextEvent(larder, 'set');
        await double(1);
        await written;
        expect(await connections(server.url)).toBe(1);
        await larder.close();
        await eventually(async () => expect(await connections(server.url)).toBe(0));
      } finally {
        await server.stop();
      }
    });

    it('lets the process exit by itself after close', { timeout: PROCESS_TEST_TIMEOUT }, async () => {
      const peer = new PeerProcess(redisDbUrl());
      expect(await peer.send('square', { n: 2 })).toMatchObject({ computed: true });
      expect(await peer.close()).toEqual({ code: 0, signal: null });
    });

    it('lets the process exit by itself when closed before its connection was ready', { timeout: PROCESS_TEST_TIMEOUT }, async () => {
      expect(await runFixture(OPEN_CLOSE, redisDbUrl())).toEqual({ code: 0, stderr: '' });
    });

    it('lets the process exit by itself when closed while Redis is unreachable', { timeout: PROCESS_TEST_TIMEOUT }, async () => {
      const down = await RedisServer.reserve();
      expect(await runFixture(OPEN_CLOSE, down.url)).toEqual({ code: 0, stderr: '' });
    });
  });
});

// ---- 7. stats -------------------------------------------------------------------------------------------

describe('larder.stats()', () => {
  it('reports hits, misses, errors, entries, bytes and compute time per function after mixed traffic on SQLite', async () => {
    const larder = open({ store: sqliteUrl() });
    const setBytes: number[] = [];
    larder.on('set', (event: LarderEvent) => setBytes.push(event.bytes!));
    const report = cacheData(async function report(id: number) {
      if (id < 0) throw new Error(`no report ${id}`);
      return { id, rows: Array.from({ length: 100 }, (_, i) => i * id) };
    }, { larder });
    const other = cacheData(async function otherReport(id: number) {
      return id;
    }, { larder });
    /** A call that misses, then its entry landing in the file (writes are in the background). */
    const missAndStore = async (id: number): Promise<void> => {
      const written = nextEvent(larder, 'set');
      await report(id);
      await written;
    };

    const started = performance.now();
    await missAndStore(1);
    await report(1); // hit
    await missAndStore(2);
    await report(2); // hit
    await report(2); // hit
    await expect(report(-1)).rejects.toThrow('no report -1'); // a miss, and an error
    await missAndStore(3);
    await other(1);
    const elapsed = performance.now() - started;

    const stats = larder.stats();
    expect(stats.report).toMatchObject({ kind: 'data', hits: 3, misses: 4, stale: 0, errors: 1, entries: 3 });
    expect(stats.report!.bytes).toBe(setBytes.reduce((sum, bytes) => sum + bytes, 0));
    expect(stats.report!.bytes).toBeGreaterThan(3 * 100);
    // Measured around the function only, so within the wall-clock time of the whole traffic.
    expect(stats.report!.computeMs).toBeGreaterThan(0);
    expect(stats.report!.computeMs).toBeLessThanOrEqual(elapsed);
    expect(stats.otherReport).toMatchObject({ hits: 0, misses: 1, errors: 0 });
  });
});
