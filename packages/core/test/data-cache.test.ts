import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BadDurationError,
  LarderError,
  ResourceError,
  UnhashableParamError,
  UnserializableReturnValueError,
  cacheData,
  configure,
  createLarder,
  defaultLarder,
  type CachedData,
  type Larder,
  type LarderEvent,
} from '../src/index.js';
import { deferred, manualClock } from '../../../test/support/async.js';

/** Records every event a larder emits, in order. */
function recordEvents(larder: Larder) {
  const events: Array<{ name: string } & LarderEvent> = [];
  for (const name of ['hit', 'miss', 'stale', 'set', 'evict', 'error'] as const) {
    larder.on(name, (event: LarderEvent) => events.push({ name, ...event }));
  }
  return events;
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

describe('cacheData()', () => {
  describe('when called twice with the same arguments', () => {
    it('runs the function on the first call and serves the second from the cache', async () => {
      let runs = 0;
      const double = cacheData(async function double(n: number) {
        runs++;
        return { n: n * 2 };
      }, { larder });

      expect(await double(21)).toEqual({ n: 42 });
      expect(await double(21)).toEqual({ n: 42 });
      expect(runs).toBe(1);
    });

    it('accepts a synchronous function and still returns a promise', async () => {
      const square = cacheData(function square(n: number) {
        return n * n;
      }, { larder });

      const result = square(4);
      expect(result).toBeInstanceOf(Promise);
      expect(await result).toBe(16);
    });

    it('runs again for different arguments', async () => {
      let runs = 0;
      const echo = cacheData(function echo(value: unknown) {
        runs++;
        return value;
      }, { larder });

      await echo(1);
      await echo('1');
      await echo([1]);
      await echo({ 0: 1 });
      expect(runs).toBe(4);
    });
  });

  describe('when a caller mutates what it got', () => {
    it('hands every call a fresh copy, so later results are unchanged', async () => {
      const loadRows = cacheData(function loadRows() {
        return { rows: [{ id: 1, tags: ['a'] }], total: 1 };
      }, { larder });

      const first = await loadRows();
      first.rows[0]!.tags.push('mutated');
      first.rows.push({ id: 2, tags: [] });
      first.total = 99;

      const second = await loadRows();
      expect(second).toEqual({ rows: [{ id: 1, tags: ['a'] }], total: 1 });
      expect(second).not.toBe(first);
      expect(await loadRows()).not.toBe(second);
    });

    it('hands the first caller a copy too, not the object the function returned', async () => {
      const original = { list: [1, 2, 3] };
      const load = cacheData(function load() {
        return original;
      }, { larder });

      const got = await load();
      expect(got).toEqual(original);
      expect(got).not.toBe(original);
      got.list.push(4);
      expect(original.list).toEqual([1, 2, 3]);
    });
  });

  describe('when the result holds rich built-in types', () => {
    it('round-trips Date, Map, Set, BigInt, typed arrays, Buffer, RegExp, nested and cyclic data', async () => {
      const make = () => {
        const cyclic: Record<string, unknown> = { name: 'root' };
        cyclic.self = cyclic;
        const shared = { id: 7 };
        return {
          date: new Date('2024-05-01T10:00:00.000Z'),
          map: new Map<unknown, unknown>([['a', 1], [2, { deep: [new Date(0)] }]]),
          set: new Set([1, 'two', 3n]),
          big: 12345678901234567890n,
          floats: new Float64Array([1.5, -0, Number.NaN]),
          ints: new Int32Array([1, -2, 3]),
          bytes: new Uint8Array([0, 255]),
          buffer: Buffer.from('hello'),
          regexp: /a+b/gi,
          nested: { a: { b: { c: [1, [2, [3, { d: null, e: undefined }]]] } } },
          error: new RangeError('boom'),
          cyclic,
          twice: [shared, shared],
        };
      };
      const load = cacheData(make, { larder, name: 'richTypes' });

      await load();
      const hit = await load();
      const expected = make();

      expect(hit.date).toBeInstanceOf(Date);
      expect(hit.date.toISOString()).toBe(expected.date.toISOString());
      expect(hit.map).toBeInstanceOf(Map);
      expect(hit.map).toEqual(expected.map);
      expect(hit.set).toBeInstanceOf(Set);
      expect(hit.set).toEqual(expected.set);
      expect(hit.big).toBe(12345678901234567890n);
      expect(hit.floats).toBeInstanceOf(Float64Array);
      expect(Object.is(hit.floats[1], -0)).toBe(true);
      expect(Number.isNaN(hit.floats[2])).toBe(true);
      expect(hit.ints).toBeInstanceOf(Int32Array);
      expect([...hit.ints]).toEqual([1, -2, 3]);
      expect(hit.bytes).toBeInstanceOf(Uint8Array);
      expect([...hit.bytes]).toEqual([0, 255]);
      expect(Buffer.isBuffer(hit.buffer)).toBe(true);
      expect(hit.buffer.toString()).toBe('hello');
      expect(hit.regexp).toBeInstanceOf(RegExp);
      expect(hit.regexp.source).toBe('a+b');
      expect(hit.regexp.flags).toBe('gi');
      expect(hit.nested).toEqual(expected.nested);
      expect(hit.error).toBeInstanceOf(RangeError);
      expect(hit.error.message).toBe('boom');
      expect(hit.cyclic.self).toBe(hit.cyclic);
      expect(hit.twice[0]).toBe(hit.twice[1]);
    });
  });

  describe('when the result cannot be serialized faithfully', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }

    const cases: Array<[string, string, () => unknown]> = [
      ['a function', 'function', () => ({ format: () => 'x' })],
      ['a symbol', 'symbol', () => ({ kind: Symbol('row') })],
      ['a promise', 'Promise', () => ({ pending: Promise.resolve(1) })],
      ['a class instance', 'Point', () => new Point(1, 2)],
      ['a class instance nested in plain data', 'Point', () => ({ points: [new Point(1, 2)] })],
    ];

    for (const [label, type, make] of cases) {
      it(`rejects ${label} with UnserializableReturnValueError and stores nothing`, async () => {
        let runs = 0;
        const load = cacheData(function loadThing() {
          runs++;
          return make();
        }, { larder });

        const error = await load().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(UnserializableReturnValueError);
        expect(error).toBeInstanceOf(LarderError);
        expect((error as UnserializableReturnValueError).code).toBe('ERR_LARDER_UNSERIALIZABLE');
        expect((error as UnserializableReturnValueError).functionName).toBe('loadThing');
        expect((error as UnserializableReturnValueError).typeName).toContain(type);
        expect((error as Error).message).toContain("'loadThing'");
        expect((error as Error).message).toContain('cacheResource');

        await expect(load()).rejects.toBeInstanceOf(UnserializableReturnValueError);
        expect(runs).toBe(2);
        expect(larder.stats().loadThing?.entries ?? 0).toBe(0);
      });
    }
  });

  describe('keys', () => {
    it('names arguments by the parameter names in the source', async () => {
      class Connection {}
      const query = cacheData(function query(connection: Connection, sql: string) {
        return sql;
      }, { larder });

      const error = await query(new Connection(), 'select 1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnhashableParamError);
      expect(error).toMatchObject({ argName: 'connection', typeName: 'Connection', functionName: 'query' });
    });

    it('keeps argument order significant', async () => {
      let runs = 0;
      const pair = cacheData(function pair(a: number, b: number) {
        runs++;
        return [a, b];
      }, { larder });

      expect(await pair(1, 2)).toEqual([1, 2]);
      expect(await pair(2, 1)).toEqual([2, 1]);
      expect(runs).toBe(2);
    });

    it('treats a trailing undefined argument like an omitted one', async () => {
      let runs = 0;
      const load = cacheData(function load(id: number, filter?: string) {
        runs++;
        return [id, filter ?? null];
      }, { larder });

      await load(1);
      await load(1, undefined);
      expect(runs).toBe(1);
    });

    describe('when a parameter name starts with _', () => {
      it('leaves it out of the key: a different _db with the same n hits', async () => {
        class Db {
          constructor(readonly url: string) {}
        }
        let runs = 0;
        const fetchRows = cacheData(async function fetchRows(_db: Db, n: number) {
          runs++;
          return Array.from({ length: n }, (_, i) => ({ i, from: _db.url }));
        }, { larder });

        const first = await fetchRows(new Db('postgres://a'), 2);
        const second = await fetchRows(new Db('postgres://b'), 2);
        expect(second).toEqual(first);
        expect(runs).toBe(1);

        await fetchRows(new Db('postgres://a'), 3);
        expect(runs).toBe(2);
      });
    });

    describe('when parameters are destructured', () => {
      it('keys them by position', async () => {
        let runs = 0;
        const describeUser = cacheData(function describeUser({ id, name }: { id: number; name: string }, [first]: string[]) {
          runs++;
          return `${id}:${name}:${first}`;
        }, { larder });

        expect(await describeUser({ id: 1, name: 'ada' }, ['x'])).toBe('1:ada:x');
        expect(await describeUser({ name: 'ada', id: 1 }, ['x'])).toBe('1:ada:x');
        expect(runs).toBe(1);
        expect(await describeUser({ id: 2, name: 'ada' }, ['x'])).toBe('2:ada:x');
        expect(await describeUser({ id: 1, name: 'ada' }, ['y'])).toBe('1:ada:y');
        expect(runs).toBe(3);
      });

      it('reports an unhashable destructured argument by its position', async () => {
        class Opaque {}
        const read = cacheData(function read({ value }: { value: unknown }) {
          return String(value);
        }, { larder });

        await expect(read({ value: new Opaque() })).rejects.toMatchObject({ code: 'ERR_LARDER_UNHASHABLE', argName: '#0' });
      });
    });

    describe('when the function has a rest parameter', () => {
      it('keys every rest argument by position', async () => {
        let runs = 0;
        const sum = cacheData(function sum(...numbers: number[]) {
          runs++;
          return numbers.reduce((a, b) => a + b, 0);
        }, { larder });

        expect(await sum(1, 2, 3)).toBe(6);
        expect(await sum(1, 2, 3)).toBe(6);
        expect(runs).toBe(1);
        expect(await sum(3, 2, 1)).toBe(6);
        expect(await sum(1, 2)).toBe(3);
        expect(runs).toBe(3);
      });

      it('still leaves out a leading _ parameter', async () => {
        let runs = 0;
        const total = cacheData(function total(_client: object, ...ids: number[]) {
          runs++;
          return ids.length;
        }, { larder });

        await total({ a: 1 }, 1, 2);
        await total({ b: () => 'unhashable' }, 1, 2);
        expect(runs).toBe(1);
      });
    });

    describe('when called as a method', () => {
      it("hashes `this` as an argument named 'this'", async () => {
        let runs = 0;
        const scale = cacheData(function scale(this: { factor: number }, n: number) {
          runs++;
          return this.factor * n;
        }, { larder });

        expect(await scale.call({ factor: 2 }, 5)).toBe(10);
        expect(await scale.call({ factor: 3 }, 5)).toBe(15);
        expect(await scale.call({ factor: 2 }, 5)).toBe(10);
        expect(runs).toBe(2);
      });

      it('makes a method cacheable through hashFuncs on its class', async () => {
        let runs = 0;
        class Account {
          constructor(readonly id: string, readonly balance: number) {}
          declare projected: (years: number) => Promise<number>;
        }
        Account.prototype.projected = cacheData(function projected(this: Account, years: number) {
          runs++;
          return this.balance + years * 10;
        }, { larder, hashFuncs: new Map([[Account, (account: Account) => [account.id, account.balance]]]) });

        expect(await new Account('a', 100).projected(1)).toBe(110);
        expect(await new Account('a', 100).projected(1)).toBe(110);
        expect(await new Account('b', 100).projected(1)).toBe(110);
        expect(runs).toBe(2);
      });

      it("reports an unhashable `this` with argName 'this'", async () => {
        class Scaler {
          factor = 2;
          declare scale: (n: number) => Promise<number>;
        }
        Scaler.prototype.scale = cacheData(function scale(this: Scaler, n: number) {
          return this.factor * n;
        }, { larder });

        const error = await new Scaler().scale(5).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(UnhashableParamError);
        expect(error).toMatchObject({ argName: 'this', typeName: 'Scaler', functionName: 'scale' });
        expect((error as Error).message.startsWith("Cannot hash argument 'this' (of type Scaler) in 'scale'.")).toBe(true);
      });

      it('leaves the receiver out when the function never reads `this` (api.load(), namespace.load())', async () => {
        let runs = 0;
        const api = {
          client: new (class HttpClient {})(),
          loadUser: cacheData(function loadUser(id: number) {
            runs++;
            return { id };
          }, { larder }),
        };

        expect(await api.loadUser(1)).toEqual({ id: 1 });
        expect(await api.loadUser(1)).toEqual({ id: 1 });
        expect(runs).toBe(1);
        await api.loadUser.clear(1);
        await api.loadUser(1);
        expect(runs).toBe(2);
      });
    });

    describe('when the code of a function changes', () => {
      it('keys the edited function apart from the old one, even under the same name', async () => {
        const before = cacheData(function price(n: number) {
          return n * 10;
        }, { larder });
        const after = cacheData(function price(n: number) {
          return n * 20;
        }, { larder });

        expect(await before(1)).toBe(10);
        expect(await after(1)).toBe(20);
        expect(await before(1)).toBe(10);
      });

      it('shares entries between two wrappers of identical code', async () => {
        let runs = 0;
        const wrap = () =>
          cacheData(function identical(n: number) {
            runs++;
            return n;
          }, { larder });

        await wrap()(1);
        await wrap()(1);
        expect(runs).toBe(1);
      });
    });

    describe('with the name option', () => {
      it('uses the name in stats and events instead of the function name', async () => {
        const events = recordEvents(larder);
        const load = cacheData((n: number) => n + 1, { larder, name: 'increment' });

        await load(1);
        await load(1);
        expect(larder.stats().increment).toMatchObject({ hits: 1, misses: 1 });
        expect(events.filter((e) => e.name === 'hit' || e.name === 'miss').every((e) => e.cache === 'increment')).toBe(true);
        expect(load.name).toBe('increment');
      });

      it('gives the same code under the same name one identity, whatever the function is called', async () => {
        let runs = 0;
        const wrap = () =>
          cacheData((n: number) => {
            runs++;
            return n;
          }, { larder, name: 'minified' });

        await wrap()(5);
        await wrap()(5);
        expect(runs).toBe(1);
      });
    });
  });

  describe('when many callers ask for the same key at once', () => {
    it('runs the function once; all 100 get equal values and distinct copies', async () => {
      const release = deferred();
      const started = deferred();
      let runs = 0;
      const slow = cacheData(async function slow(id: number) {
        runs++;
        started.resolve();
        await release.promise;
        return { id, items: [1, 2, 3] };
      }, { larder });

      const calls = Array.from({ length: 100 }, () => slow(7));
      await started.promise;
      expect(runs).toBe(1);
      release.resolve();
      const results = await Promise.all(calls);

      expect(runs).toBe(1);
      for (const result of results) expect(result).toEqual({ id: 7, items: [1, 2, 3] });
      expect(new Set(results).size).toBe(100);
      expect(new Set(results.map((r) => r.items)).size).toBe(100);
      expect(larder.stats().slow).toMatchObject({ misses: 1, hits: 99 });
    });

    it('runs separately for different keys', async () => {
      const release = deferred();
      let runs = 0;
      const slow = cacheData(async function slowByKey(id: number) {
        runs++;
        await release.promise;
        return id;
      }, { larder });

      const calls = [slow(1), slow(2), slow(1), slow(2)];
      release.resolve();
      expect(await Promise.all(calls)).toEqual([1, 2, 1, 2]);
      expect(runs).toBe(2);
    });
  });

  describe('when the function throws', () => {
    it('rejects every waiter with the error and runs again on the next call', async () => {
      const release = deferred();
      let runs = 0;
      const flaky = cacheData(async function flaky(id: number) {
        runs++;
        await release.promise;
        if (runs === 1) throw new Error(`upstream down for ${id}`);
        return id;
      }, { larder });

      const waiters = Array.from({ length: 5 }, () => flaky(1));
      release.resolve();
      const settled = await Promise.allSettled(waiters);
      expect(settled.every((s) => s.status === 'rejected' && (s.reason as Error).message === 'upstream down for 1')).toBe(true);
      expect(runs).toBe(1);

      expect(await flaky(1)).toBe(1);
      expect(runs).toBe(2);
      expect(await flaky(1)).toBe(1);
      expect(runs).toBe(2);
    });

    it('rejects with the error of a synchronous throw', async () => {
      const broken = cacheData(function broken() {
        throw new TypeError('nope');
      }, { larder });

      await expect(broken()).rejects.toThrow(TypeError);
      expect(larder.stats().broken?.errors).toBe(1);
    });
  });

  describe('with ttl', () => {
    it('serves the entry until ttl after the write, then runs again', async () => {
      let runs = 0;
      const load = cacheData(function loadPrices() {
        runs++;
        return runs;
      }, { larder, ttl: 60 });

      expect(await load()).toBe(1);
      clock.advance(59_999);
      expect(await load()).toBe(1);
      clock.advance(1);
      expect(await load()).toBe(2);
      expect(runs).toBe(2);
    });

    it('does not extend the lifetime on reads', async () => {
      let runs = 0;
      const load = cacheData(function loadRates() {
        runs++;
        return runs;
      }, { larder, ttl: '1m' });

      await load();
      for (let i = 0; i < 5; i++) {
        clock.advance(10_000);
        expect(await load()).toBe(1);
      }
      clock.advance(10_000);
      expect(await load()).toBe(2);
    });

  });

  describe('with maxEntries', () => {
    it('evicts the least recently used entry of that function', async () => {
      const runs: number[] = [];
      const load = cacheData(function loadPage(page: number) {
        runs.push(page);
        return page;
      }, { larder, maxEntries: 2 });

      await load(1);
      await load(2);
      await load(1); // touch 1: now 2 is the least recently used
      await load(3); // evicts 2
      expect(runs).toEqual([1, 2, 3]);

      await load(1);
      await load(3);
      expect(runs).toEqual([1, 2, 3]);
      await load(2);
      expect(runs).toEqual([1, 2, 3, 2]);
      expect(larder.stats().loadPage?.entries).toBe(2);
    });

    it('counts entries per function, not across functions', async () => {
      let runs = 0;
      const a = cacheData(function onlyA(n: number) {
        runs++;
        return n;
      }, { larder, maxEntries: 1 });
      const b = cacheData(function onlyB(n: number) {
        return n;
      }, { larder, maxEntries: 1 });

      await a(1);
      await b(1);
      await b(2);
      await a(1);
      expect(runs).toBe(1);
    });

    it("emits an evict event with reason 'max-entries'", async () => {
      const events = recordEvents(larder);
      const load = cacheData((n: number) => n, { larder, maxEntries: 1, name: 'bounded' });

      await load(1);
      await load(2);
      expect(events.filter((e) => e.name === 'evict')).toEqual([
        expect.objectContaining({ cache: 'bounded', kind: 'data', reason: 'max-entries' }),
      ]);
    });
  });

  describe('clearing', () => {
    it('fn.clear(args) drops that entry only', async () => {
      const runs: string[] = [];
      const loadUser = cacheData(function loadUser(id: string) {
        runs.push(id);
        return { id };
      }, { larder });

      await loadUser('a');
      await loadUser('b');
      await loadUser.clear('a');
      await loadUser('a');
      await loadUser('b');
      expect(runs).toEqual(['a', 'b', 'a']);
    });

    it('fn.clear() drops every entry of that function only', async () => {
      const runs: string[] = [];
      const loadUser = cacheData(function loadUser(id: string) {
        runs.push(`user:${id}`);
        return id;
      }, { larder });
      const loadTeam = cacheData(function loadTeam(id: string) {
        runs.push(`team:${id}`);
        return id;
      }, { larder });

      await Promise.all([loadUser('a'), loadUser('b'), loadTeam('a')]);
      await loadUser.clear();
      await Promise.all([loadUser('a'), loadUser('b'), loadTeam('a')]);
      expect(runs.sort()).toEqual(['team:a', 'user:a', 'user:a', 'user:b', 'user:b']);
      expect(larder.stats().loadUser?.entries).toBe(2);
    });

    it('instance.method.clear(arg) drops that argument’s entries, for every instance; .call(instance, arg) for one', async () => {
      class Scores {
        declare multiply: CachedData<(multiplier: number) => Promise<number>>;
        constructor(readonly myScore: number) {}
      }
      const runs: string[] = [];
      Scores.prototype.multiply = cacheData(function multiply(this: Scores, multiplier: number) {
        runs.push(`${this.myScore}×${multiplier}`);
        return this.myScore * multiplier;
      }, { larder, hashFuncs: { Scores: (s: Scores) => s.myScore } });
      const fifteen = new Scores(15);
      const seven = new Scores(7);
      await Promise.all([fifteen.multiply(2), seven.multiply(2), fifteen.multiply(3)]);

      await fifteen.multiply.clear(2);
      expect(await fifteen.multiply(2)).toBe(30);
      expect(await seven.multiply(2)).toBe(14);
      expect(await fifteen.multiply(3)).toBe(45);
      expect(runs.sort()).toEqual(['15×2', '15×2', '15×3', '7×2', '7×2']);

      await fifteen.multiply.clear.call(fifteen as never, 3);
      await Promise.all([fifteen.multiply(3), seven.multiply(2)]);
      expect(runs.filter((run) => run === '15×3')).toHaveLength(2);
      expect(runs.filter((run) => run === '7×2')).toHaveLength(2);
    });

    it('cacheData.clear(larder) drops every cacheData entry of that larder', async () => {
      let runs = 0;
      const one = cacheData(function one() {
        runs++;
        return 1;
      }, { larder });
      const two = cacheData(function two() {
        runs++;
        return 2;
      }, { larder });

      await one();
      await two();
      await cacheData.clear(larder);
      await one();
      await two();
      expect(runs).toBe(4);
      await one();
      expect(runs).toBe(4);
    });
  });

  describe('with staleWhileRevalidate', () => {
    it('serves the stale value at once, refreshes once in the background, then serves the new value', async () => {
      let runs = 0;
      const refresh = deferred();
      const load = cacheData(async function loadQuotes() {
        runs++;
        if (runs > 1) await refresh.promise;
        return { version: runs };
      }, { larder, ttl: 60, staleWhileRevalidate: 60 });

      expect(await load()).toEqual({ version: 1 });
      clock.advance(61_000);

      const stale = await Promise.all(Array.from({ length: 20 }, () => load()));
      for (const value of stale) expect(value).toEqual({ version: 1 });
      expect(runs).toBe(2);
      expect(await load()).toEqual({ version: 1 });
      expect(runs).toBe(2);

      const written = once(larder, 'set');
      refresh.resolve();
      await written;

      expect(await load()).toEqual({ version: 2 });
      expect(runs).toBe(2);
    });

    it('keeps serving the stale value when the refresh fails', async () => {
      let runs = 0;
      const load = cacheData(async function loadFeed() {
        runs++;
        if (runs > 1) throw new Error('feed down');
        return 'first';
      }, { larder, ttl: 60, staleWhileRevalidate: '5m' });

      await load();
      clock.advance(61_000);
      const failed = once(larder, 'error');
      expect(await load()).toBe('first');
      const [event] = (await failed) as [LarderEvent];
      expect(event).toMatchObject({ cache: 'loadFeed', kind: 'data', reason: 'compute-error' });
      expect((event.error as Error).message).toBe('feed down');

      expect(await load()).toBe('first');
      expect(larder.stats().loadFeed).toMatchObject({ stale: 2 });
    });

    it('runs the function in the foreground once the stale window has passed', async () => {
      let runs = 0;
      const load = cacheData(function loadIndex() {
        runs++;
        return runs;
      }, { larder, ttl: 60, staleWhileRevalidate: 60 });

      await load();
      clock.advance(120_000);
      expect(await load()).toBe(2);
    });
  });

  describe('events', () => {
    it('emits miss and set on a first call, hit on the next, with their payloads', async () => {
      const events = recordEvents(larder);
      const load = cacheData(function loadReport(year: number) {
        return { year };
      }, { larder });

      const written = once(larder, 'set');
      await load(2024);
      await written;
      clock.advance(1_500);
      await load(2024);

      // The write is in the background: its `set` may come before or after the `miss`.
      expect(events.map((e) => e.name).sort()).toEqual(['hit', 'miss', 'set']);
      const [miss, set, hit] = ['miss', 'set', 'hit'].map((name) => events.find((e) => e.name === name));
      expect(miss).toMatchObject({ cache: 'loadReport', kind: 'data', reason: 'absent' });
      expect(miss!.durationMs).toBeGreaterThanOrEqual(0);
      expect(set).toMatchObject({ cache: 'loadReport', kind: 'data', key: miss!.key });
      expect(set!.bytes).toBeGreaterThan(0);
      expect(hit).toMatchObject({ cache: 'loadReport', kind: 'data', key: miss!.key, ageMs: 1_500 });
      expect(typeof miss!.key).toBe('string');
    });

    it('emits stale when a stale value is served', async () => {
      const events = recordEvents(larder);
      const load = cacheData(() => 'v', { larder, ttl: 10, staleWhileRevalidate: 10, name: 'staleOne' });

      await load();
      clock.advance(12_000);
      const refreshed = once(larder, 'set');
      await load();
      await refreshed;
      expect(events.find((e) => e.name === 'stale')).toMatchObject({
        cache: 'staleOne',
        kind: 'data',
        reason: 'stale-while-revalidate',
        ageMs: 12_000,
      });
    });
  });

  describe('larder.stats()', () => {
    it('counts hits, misses, stale hits, errors, entries, bytes and compute time per function name', async () => {
      let runs = 0;
      const load = cacheData(async function loadStats(n: number) {
        runs++;
        if (n < 0) throw new Error('negative');
        return 'x'.repeat(n);
      }, { larder, ttl: 60, staleWhileRevalidate: 60 });
      const other = cacheData(function otherStats() {
        return 1;
      }, { larder });

      await load(10);
      await load(10);
      await load(20);
      await load(-1).catch(() => undefined);
      await other();
      clock.advance(61_000);
      const refreshed = once(larder, 'set');
      await load(10);
      await refreshed;

      const stats = larder.stats();
      expect(stats.loadStats).toMatchObject({ kind: 'data', hits: 1, misses: 3, stale: 1, errors: 1, entries: 2 });
      expect(stats.loadStats!.bytes).toBeGreaterThan(30);
      expect(stats.loadStats!.computeMs).toBeGreaterThanOrEqual(0);
      expect(stats.otherStats).toMatchObject({ kind: 'data', hits: 0, misses: 1, entries: 1 });
      expect(runs).toBe(4);
    });

    it('returns a snapshot that later calls do not change', async () => {
      const load = cacheData(() => 1, { larder, name: 'snap' });
      await load();
      const snapshot = larder.stats();
      await load();
      expect(snapshot.snap?.hits).toBe(0);
      expect(larder.stats().snap?.hits).toBe(1);
    });
  });

  describe('when an option is invalid', () => {
    const fn = (n: number) => n;

    it.each([
      ['ttl: 0', { ttl: 0 }],
      ["ttl: '5 minuets'", { ttl: '5 minuets' }],
      ['ttl: -1', { ttl: -1 }],
      ["ttl: '10'", { ttl: '10' }],
      ['ttl: NaN', { ttl: Number.NaN }],
      ["staleWhileRevalidate: 'soon'", { staleWhileRevalidate: 'soon' }],
    ])('throws BadDurationError at construction for %s', (_label, options) => {
      let error: unknown;
      try {
        cacheData(fn, options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BadDurationError);
      expect(error).toBeInstanceOf(LarderError);
      expect((error as BadDurationError).code).toBe('ERR_LARDER_BAD_DURATION');
    });

    it.each([
      ['maxEntries: -1', { maxEntries: -1 }, 'maxEntries'],
      ['maxEntries: 1.5', { maxEntries: 1.5 }, 'maxEntries'],
      ["name: ''", { name: '' }, 'name'],
    ])('throws a LarderError naming the option at construction for %s', (_label, options, option) => {
      let error: unknown;
      try {
        cacheData(fn, options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(LarderError);
      expect((error as LarderError).code).toBe('ERR_LARDER_BAD_OPTION');
      expect((error as Error).message).toContain(`'${option}'`);
    });

    it('accepts the forever forms of ttl', () => {
      for (const ttl of [null, Infinity, 'forever', '1h 30m', 0.5]) expect(() => cacheData(fn, { ttl })).not.toThrow();
    });
  });

  describe('after larder.close()', () => {
    it('rejects calls with ResourceError', async () => {
      const load = cacheData(() => 1, { larder, name: 'closedOne' });
      await load();
      await larder.close();

      const error = await load().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResourceError);
      expect((error as ResourceError).code).toBe('ERR_LARDER_RESOURCE');
    });
  });
});

describe('the default larder', () => {
  it('is used when no larder option is given, and configure() sets its clock and store', async () => {
    const defaultClock = manualClock();
    const configured = configure({ store: 'memory://', clock: defaultClock });
    expect(configured).toBe(defaultLarder());

    let runs = 0;
    const load = cacheData(function loadDefault(n: number) {
      runs++;
      return n;
    }, { ttl: '1m' });

    await load(1);
    await load(1);
    expect(runs).toBe(1);
    expect(defaultLarder().stats().loadDefault).toMatchObject({ hits: 1, misses: 1 });

    defaultClock.advance(60_000);
    await load(1);
    expect(runs).toBe(2);

    await cacheData.clear();
    await load(1);
    expect(runs).toBe(3);
    await load.clear();
    await load(1);
    expect(runs).toBe(4);
  });

  it('looks the default larder up at call time, so configure() after definition applies', async () => {
    let runs = 0;
    const load = cacheData(function loadLate() {
      runs++;
      return runs;
    }, { ttl: 10 });
    const lateClock = manualClock();
    configure({ clock: lateClock });

    await load();
    lateClock.advance(10_000);
    expect(await load()).toBe(2);
  });

  it('keeps its store and settings when configure() is given a bad store', async () => {
    const keptClock = manualClock();
    const larder = configure({ store: 'memory://', clock: keptClock });
    let runs = 0;
    const load = cacheData(function loadKept() {
      return ++runs;
    }, { ttl: '1m' });
    await load();

    expect(() => configure({ store: 'mongodb://nowhere', clock: manualClock(0) })).toThrow(/store/);
    expect(defaultLarder()).toBe(larder);
    expect(larder.clock).toBe(keptClock);
    expect(await load()).toBe(1);
  });
});
