import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadOptionError, LarderError, UnhashableParamError, UserHashError } from '../src/errors.js';
import { hashArguments, hashValue, normalizeHashFuncs, type HashFuncsInput } from '../src/hash/hash.js';
import { markResource } from '../src/hash/resource-identity.js';

const HASH_KEY = Symbol.for('larder.hashKey');

class MyCustomClass {
  constructor(readonly id = 1) {}
}
class Animal {
  constructor(readonly name: string) {}
}
class Dog extends Animal {}
class Puppy extends Dog {}

function expectAllDistinct(values: readonly unknown[]): void {
  const digests = values.map((value) => hashValue(value));
  expect(new Set(digests).size).toBe(values.length);
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('hashValue()', () => {
  it('returns a hex SHA-256 digest', () => {
    expect(hashValue({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives equal values equal digests, call after call', () => {
    expect(hashValue({ a: [1, 'x', null] })).toBe(hashValue({ a: [1, 'x', null] }));
  });

  it('keeps the digests of persisted keys stable (changing them invalidates every stored entry)', () => {
    expect(hashValue(1)).toBe('b24f68ba6f88a155ca23db28936598d97998ab9da5462affa40917b51299f865');
    expect(hashValue({ b: [1, 'two', null], a: new Map([['k', 3n]]) })).toBe(
      '76e971f4a8f374062aa585217ddd40d98d945eb25c5563b86b2d26ea3348000e',
    );
    expect(hashArguments([['id', '42'], ['page', 2]], { functionName: 'f' })).toBe(
      'e969e6cfd949c425d65437fe0d34ac6678189ca00f4506d260fd614125c469d4',
    );
  });

  describe('never lets values of different types share a key', () => {
    it('for 1, "1", 1n, true, [1], { "0": 1 }, null and undefined', () => {
      expectAllDistinct([1, '1', 1n, true, [1], { 0: 1 }, null, undefined, new Set([1]), new Map([[0, 1]])]);
    });

    it('for ["a,b"] and ["a", "b"]', () => {
      expect(hashValue(['a,b'])).not.toBe(hashValue(['a', 'b']));
    });

    it('for argument lists ("doc1", "acme") and ("doc1str:orgstr:acme")', () => {
      const split = hashArguments([['doc', 'doc1'], ['org', 'acme']], { functionName: 'load' });
      const joined = hashArguments([['doc', 'doc1str:orgstr:acme']], { functionName: 'load' });
      expect(split).not.toBe(joined);
      expect(hashValue(['doc1', 'acme'])).not.toBe(hashValue(['doc1str:orgstr:acme']));
    });

    it('for 0 and -0', () => {
      expect(hashValue(0)).not.toBe(hashValue(-0));
    });

    it('but hashes NaN equal to NaN', () => {
      expect(hashValue(NaN)).toBe(hashValue(Number.NaN));
      expect(hashValue([0 / 0])).toBe(hashValue([Number('x')]));
    });

    it('for a Date and its ISO string or its timestamp', () => {
      const date = new Date('2024-05-01T10:00:00Z');
      expectAllDistinct([date, date.toISOString(), date.getTime()]);
    });

    it('for { a: 1, b: undefined } and { a: 1 }', () => {
      expect(hashValue({ a: 1, b: undefined })).not.toBe(hashValue({ a: 1 }));
    });

    it('for nested and flattened arrays', () => {
      expectAllDistinct([[[1, 2], 3], [1, [2, 3]], [1, 2, 3], [[1, 2, 3]], [], [[]], [undefined]]);
    });

    it('for an array hole and undefined', () => {
      // eslint-disable-next-line no-sparse-arrays
      expect(hashValue([, 1])).not.toBe(hashValue([undefined, 1]));
    });

    it('for strings that differ only in lone surrogates', () => {
      expectAllDistinct(['\ud800', '\ud801', '\ufffd', '\udc00\ud800']);
    });

    it('for keys and values that trade places', () => {
      expectAllDistinct([{ a: 'b' }, { b: 'a' }, new Map([['a', 'b']]), new Map([['b', 'a']])]);
    });
  });

  describe('order', () => {
    it('ignores the insertion order of plain object keys', () => {
      expect(hashValue({ a: 1, b: { c: 2, d: 3 } })).toBe(hashValue({ b: { d: 3, c: 2 }, a: 1 }));
    });

    it('hashes a null-prototype object like the same plain object (as from querystring.parse)', () => {
      expect(hashValue(Object.assign(Object.create(null), { a: '1' }))).toBe(hashValue({ a: '1' }));
    });

    it('ignores the insertion order of Map entries, with string or other keys', () => {
      expect(hashValue(new Map([['a', 1], ['b', 2]]))).toBe(hashValue(new Map([['b', 2], ['a', 1]])));
      expect(hashValue(new Map<unknown, number>([[{ x: 1 }, 1], [2, 2]]))).toBe(
        hashValue(new Map<unknown, number>([[2, 2], [{ x: 1 }, 1]])),
      );
    });

    it('ignores the insertion order of Set members', () => {
      expect(hashValue(new Set(['a', 'b']))).toBe(hashValue(new Set(['b', 'a'])));
      expect(hashValue(new Set([1, [2], 'x']))).toBe(hashValue(new Set(['x', [2], 1])));
    });

    it('keeps the order of arrays', () => {
      expect(hashValue([1, 2])).not.toBe(hashValue([2, 1]));
    });

    it('keeps the order of URLSearchParams, as iterated', () => {
      expect(hashValue(new URLSearchParams('a=1&b=2'))).not.toBe(hashValue(new URLSearchParams('b=2&a=1')));
    });
  });

  describe('cycles', () => {
    it('hashes a self-referencing array or object without overflowing the stack', () => {
      const array: unknown[] = [1];
      array.push(array);
      const object: Record<string, unknown> = { a: 1 };
      object.self = object;
      expect(hashValue(array)).toMatch(/^[0-9a-f]{64}$/);
      expect(hashValue(object)).toMatch(/^[0-9a-f]{64}$/);
    });

    it('hashes equal cyclic structures equal', () => {
      const makeRing = () => {
        const a: Record<string, unknown> = { name: 'a' };
        const b: Record<string, unknown> = { name: 'b', next: a };
        a.next = b;
        return a;
      };
      expect(hashValue(makeRing())).toBe(hashValue(makeRing()));
    });

    it('tells cycles to different ancestors apart', () => {
      const toRoot: Record<string, unknown> = { child: {} };
      (toRoot.child as Record<string, unknown>).back = toRoot;
      const toSelf: Record<string, unknown> = { child: {} };
      (toSelf.child as Record<string, unknown>).back = toSelf.child;
      expect(hashValue(toRoot)).not.toBe(hashValue(toSelf));
    });

    it('follows cycles through Maps, Sets and error causes', () => {
      const map = new Map<string, unknown>();
      map.set('self', map);
      const set = new Set<unknown>();
      set.add(set);
      const error = new Error('loop');
      error.cause = error;
      const otherMap = new Map<string, unknown>();
      otherMap.set('self', otherMap);
      expect(hashValue(map)).toBe(hashValue(otherMap));
      expect(hashValue(set)).toMatch(/^[0-9a-f]{64}$/);
      expect(hashValue(error)).toMatch(/^[0-9a-f]{64}$/);
    });

    it('hashes data nested 20,000 levels deep without overflowing the stack', () => {
      const wrappers: Array<(inner: unknown) => unknown> = [
        (inner) => [inner],
        (inner) => ({ a: inner }),
        (inner) => new Map([[{ k: 1 }, inner]]),
        (inner) => new Set([inner, 1]),
      ];
      let nested: unknown = 'leaf';
      for (let i = 0; i < 20_000; i++) nested = wrappers[i % 4]?.(nested);
      expect(hashValue(nested)).toMatch(/^[0-9a-f]{64}$/);
    });

    it('hashes a 100,000-node cyclic linked list', () => {
      const makeList = () => {
        const head: { next: unknown } = { next: null };
        let node = head;
        for (let i = 0; i < 100_000; i++) node = (node.next = { next: null }) as typeof head;
        node.next = head;
        return head;
      };
      expect(hashValue(makeList())).toBe(hashValue(makeList()));
    });

    it('hashes shared (non-cyclic) references by content', () => {
      const shared = { x: 1 };
      expect(hashValue([shared, shared])).toBe(hashValue([{ x: 1 }, { x: 1 }]));
    });
  });

  describe('built-in types', () => {
    const bytes = [1, 2, 3, 4, 5, 6, 7, 8];

    it.each<[string, () => unknown, () => unknown]>([
      ['bigint', () => 2n ** 80n, () => 2n ** 80n + 1n],
      ['negative bigint', () => -5n, () => 5n],
      ['Date', () => new Date(1000), () => new Date(1001)],
      ['RegExp source', () => /a+/g, () => /a*/g],
      ['RegExp flags', () => /a/g, () => /a/i],
      ['URL', () => new URL('https://example.com/a?b=1'), () => new URL('https://example.com/a?b=2')],
      ['URLSearchParams', () => new URLSearchParams('a=1&a=2'), () => new URLSearchParams('a=1')],
      ['Buffer', () => Buffer.from('abc'), () => Buffer.from('abd')],
      ['Uint8Array', () => new Uint8Array(bytes), () => new Uint8Array([...bytes, 0])],
      ['Float64Array', () => new Float64Array([1.5, 2]), () => new Float64Array([1.5, 3])],
      ['BigInt64Array', () => new BigInt64Array([1n]), () => new BigInt64Array([2n])],
      ['ArrayBuffer', () => new Uint8Array(bytes).buffer, () => new Uint8Array(bytes.slice(1)).buffer],
      ['SharedArrayBuffer', () => sharedBuffer(bytes), () => sharedBuffer([0, ...bytes])],
      ['DataView', () => new DataView(new Uint8Array(bytes).buffer, 2), () => new DataView(new Uint8Array(bytes).buffer, 3)],
      ['Error message', () => new Error('a'), () => new Error('b')],
      ['Error name', () => new Error('a'), () => new TypeError('a')],
      ['Error cause', () => new Error('a', { cause: 1 }), () => new Error('a', { cause: 2 })],
      ['AggregateError', () => new AggregateError([new Error('x')], 'a'), () => new AggregateError([], 'a')],
    ])('hashes a %s by content', (_type, make, makeDifferent) => {
      expect(hashValue(make())).toBe(hashValue(make()));
      expect(hashValue(make())).not.toBe(hashValue(makeDifferent()));
    });

    it('hashes every invalid Date equal, and differently from any valid one', () => {
      expect(hashValue(new Date(NaN))).toBe(hashValue(new Date('not a date')));
      expect(hashValue(new Date(NaN))).not.toBe(hashValue(new Date(0)));
    });

    it('ignores an error stack, which differs with where the error was made', () => {
      const a = new Error('same');
      const b = new Error('same');
      expect(a.stack).not.toBe(b.stack);
      expect(hashValue(a)).toBe(hashValue(b));
    });

    it('tags binary data by its exact type: the same bytes in different types differ', () => {
      const source = new Uint8Array(bytes);
      expectAllDistinct([
        Buffer.from(source), source, new Int8Array(source), new Uint8ClampedArray(source),
        new Int16Array(source.buffer), new Uint16Array(source.buffer), new Int32Array(source.buffer),
        new Uint32Array(source.buffer), new Float32Array(source.buffer), new Float64Array(source.buffer),
        new BigInt64Array(source.buffer), new BigUint64Array(source.buffer), source.buffer, new DataView(source.buffer),
        sharedBuffer(bytes), bytes,
      ]);
    });

    it('hashes only the bytes a view covers, not its whole underlying buffer', () => {
      const whole = Buffer.from('..hello..');
      expect(hashValue(whole.subarray(2, 7))).toBe(hashValue(Buffer.from('hello')));
      expect(hashValue(new Float64Array(new Float64Array([9, 1, 2]).buffer, 8))).toBe(hashValue(new Float64Array([1, 2])));
    });

    it('hashes the whole of large binary data, never a sample', () => {
      const big = Buffer.alloc(4 * 1024 * 1024, 7);
      const before = hashValue(big);
      big[big.length >> 1] = 8;
      expect(hashValue(big)).not.toBe(before);
      big[big.length >> 1] = 7;
      big[big.length - 1] = 8;
      expect(hashValue(big)).not.toBe(before);
    });

    it('hashes long strings by their whole content', () => {
      const long = 'x'.repeat(100_000);
      expect(hashValue(long)).toBe(hashValue('x'.repeat(100_000)));
      expect(hashValue(long)).not.toBe(hashValue(`${long.slice(1)}y`));
      expect(hashValue(['é'.repeat(50_000)])).not.toBe(hashValue(['e'.repeat(50_000)]));
    });

    it('hashes an empty or detached ArrayBuffer', () => {
      const detached = new ArrayBuffer(8);
      structuredClone(detached, { transfer: [detached] });
      expect(hashValue(detached)).toBe(hashValue(new ArrayBuffer(0)));
    });
  });

  describe('unhashable values', () => {
    it.each<[string, unknown, string]>([
      ['a function', function compute() {}, 'function compute'],
      ['a symbol', Symbol('s'), 'symbol'],
      ['a promise', Promise.resolve(1), 'Promise'],
      ['a WeakMap', new WeakMap(), 'WeakMap'],
      ['a WeakSet', new WeakSet(), 'WeakSet'],
      ['a WeakRef', new WeakRef({}), 'WeakRef'],
      ['an instance of another class', new MyCustomClass(), 'MyCustomClass'],
      ['a subclass of a built-in', new (class Registry extends Map {})(), 'Registry'],
    ])('throws UnhashableParamError for %s', (_label, value, type) => {
      const error = thrown(() => hashValue(value));
      expect(error).toBeInstanceOf(UnhashableParamError);
      expect(error).toMatchObject({ code: 'ERR_LARDER_UNHASHABLE', typeName: type, argName: 'value', functionName: 'hashValue' });
    });

    it('names the argument, its type and the function, then says how to fix it', () => {
      const error = thrown(() => hashArguments([['obj', new MyCustomClass()]], { functionName: 'multiplyScore' }));
      expect(error).toBeInstanceOf(LarderError);
      expect(error).toMatchObject({ argName: 'obj', typeName: 'MyCustomClass', functionName: 'multiplyScore' });
      expect(error.message.startsWith(`Cannot hash argument 'obj' (of type MyCustomClass) in 'multiplyScore'.`)).toBe(true);
      expect(error.message).toContain('hashFuncs');
      expect(error.message).toContain(`Symbol.for('larder.hashKey')`);
    });

    it('reports the top-level argument when the culprit is nested inside it', () => {
      const error = thrown(() =>
        hashArguments([['id', 1], ['options', { deep: [new Map([['k', new MyCustomClass()]])] }]], { functionName: 'load' }),
      );
      expect(error).toMatchObject({ argName: 'options', typeName: 'MyCustomClass', functionName: 'load' });
    });

    it('leaves no state behind after a throw, so the next hash is unaffected', () => {
      const value = { a: [1, new Map([[{ k: 1 }, new Set([{ deep: 'x' }])]])] };
      const before = hashValue(value);
      const poisoned = { a: [1, new Map([[{ k: 1 }, new Set([{ deep: new MyCustomClass() }])]])] };
      for (let i = 0; i < 3; i++) expect(() => hashValue(poisoned)).toThrow(UnhashableParamError);
      expect(hashValue(value)).toBe(before);
    });

    it('uses the argName and functionName given to hashValue', () => {
      const error = thrown(() => hashValue(() => 1, { argName: 'cb', functionName: 'run' }));
      expect(error.message.startsWith(`Cannot hash argument 'cb' (of type function) in 'run'.`)).toBe(true);
    });
  });

  describe('hashFuncs', () => {
    const byId = (value: MyCustomClass) => value.id;

    it('hashes an instance by what the function returns', () => {
      const hashFuncs = normalizeHashFuncs(new Map([[MyCustomClass, byId]]));
      expect(hashValue(new MyCustomClass(1), { hashFuncs })).toBe(hashValue(new MyCustomClass(1), { hashFuncs }));
      expect(hashValue(new MyCustomClass(1), { hashFuncs })).not.toBe(hashValue(new MyCustomClass(2), { hashFuncs }));
    });

    it('gives identical keys whether keyed by constructor or by class name, in every input form', () => {
      const forms: HashFuncsInput[] = [
        new Map([[MyCustomClass, byId]]),
        new Map([['MyCustomClass', byId]]),
        [[MyCustomClass, byId]],
        [['MyCustomClass', byId]],
        { MyCustomClass: byId },
      ];
      const digests = forms.map((hashFuncs) => hashValue([new MyCustomClass(7)], { hashFuncs }));
      expect(new Set(digests).size).toBe(1);
    });

    it('accepts raw input as well as normalized hashFuncs', () => {
      expect(hashValue(new MyCustomClass(3), { hashFuncs: { MyCustomClass: byId } })).toBe(
        hashValue(new MyCustomClass(3), { hashFuncs: normalizeHashFuncs({ MyCustomClass: byId }) }),
      );
    });

    it('hashes the result differently from the bare result, and per class', () => {
      const hashFuncs = { MyCustomClass: byId, Animal: (a: Animal) => a.name.length };
      expectAllDistinct([1, hashValue(new MyCustomClass(1), { hashFuncs })]);
      expect(hashValue(new MyCustomClass(3), { hashFuncs })).not.toBe(hashValue(new Animal('abc'), { hashFuncs }));
    });

    it('applies a parent class entry to subclasses, the nearest class winning', () => {
      const hashFuncs = normalizeHashFuncs([
        [Animal, (a: Animal) => a.name],
        ['Dog', (d: Dog) => `dog:${d.name}`],
      ]);
      expect(hashValue(new Dog('rex'), { hashFuncs })).toBe(hashValue(new Dog('rex'), { hashFuncs }));
      expect(hashValue(new Puppy('rex'), { hashFuncs })).toBe(hashValue(new Dog('rex'), { hashFuncs }));
      expect(hashValue(new Dog('rex'), { hashFuncs })).not.toBe(hashValue(new Animal('rex'), { hashFuncs }));
    });

    it('can override Date, e.g. to hash a Date by day', () => {
      const hashFuncs = normalizeHashFuncs({ Date: (date: Date) => date.toISOString().slice(0, 10) });
      const morning = hashValue(new Date('2024-05-01T08:00:00Z'), { hashFuncs });
      expect(hashValue(new Date('2024-05-01T22:30:00Z'), { hashFuncs })).toBe(morning);
      expect(hashValue(new Date('2024-05-02T08:00:00Z'), { hashFuncs })).not.toBe(morning);
    });

    it('can override Float64Array, e.g. to ignore rounding noise', () => {
      const hashFuncs = new Map([[Float64Array, (a: Float64Array) => Array.from(a, (x) => Math.round(x * 1e6))]]);
      expect(hashValue(new Float64Array([0.1 + 0.2]), { hashFuncs })).toBe(hashValue(new Float64Array([0.3]), { hashFuncs }));
      expect(hashValue(new Float64Array([0.1 + 0.2]))).not.toBe(hashValue(new Float64Array([0.3])));
    });

    it('can override Array and Object; an Object entry applies to plain objects only', () => {
      const hashFuncs = normalizeHashFuncs({ Object: () => 'any object', Array: (a: unknown[]) => a.length });
      expect(hashValue({ a: 1 }, { hashFuncs })).toBe(hashValue({ b: 2 }, { hashFuncs }));
      expect(hashValue([1, 2], { hashFuncs })).toBe(hashValue([3, 4], { hashFuncs }));
      expect(() => hashValue(new MyCustomClass(), { hashFuncs })).toThrow(UnhashableParamError);
    });

    it('applies an entry for a built-in to its subclasses (a Buffer is a Uint8Array)', () => {
      const hashFuncs = { Uint8Array: (bytes: Uint8Array) => bytes.length };
      expect(hashValue(Buffer.from('ab'), { hashFuncs })).toBe(hashValue(Buffer.from('cd'), { hashFuncs }));
    });

    it('can give primitives a class entry (String, Symbol)', () => {
      const hashFuncs = { String: (s: string) => s.toLowerCase(), Symbol: (s: symbol) => s.description };
      expect(hashValue(['ABC'], { hashFuncs })).toBe(hashValue(['abc'], { hashFuncs }));
      expect(hashValue(Symbol('x'), { hashFuncs })).toBe(hashValue(Symbol('x'), { hashFuncs }));
    });

    it('hashes the result recursively, with the same hashFuncs', () => {
      const hashFuncs = { Dog: (d: Dog) => ({ owner: new MyCustomClass(d.name.length) }), MyCustomClass: byId };
      expect(hashValue(new Dog('abc'), { hashFuncs })).toBe(hashValue(new Dog('xyz'), { hashFuncs }));
    });

    it('hashes a plain object returned as is by its content, instead of recursing forever', () => {
      const identity = { Object: (o: object) => o };
      expect(hashValue({ a: 1 }, { hashFuncs: identity })).toBe(hashValue({ a: 1 }, { hashFuncs: identity }));
      expect(hashValue({ a: 1 }, { hashFuncs: identity })).not.toBe(hashValue({ a: 2 }, { hashFuncs: identity }));
    });

    it('throws UserHashError when it returns another instance of its class (it would never converge)', () => {
      const cloning = { MyCustomClass: (o: MyCustomClass) => new MyCustomClass(o.id) };
      expect(() => hashValue(new MyCustomClass(), { hashFuncs: cloning })).toThrow(UserHashError);
    });

    it('throws UserHashError with the original error as cause when a hash function throws', () => {
      const original = new Error('boom');
      const hashFuncs = normalizeHashFuncs({ MyCustomClass: () => { throw original; } });
      const error = thrown(() => hashArguments([['obj', new MyCustomClass()]], { functionName: 'score', hashFuncs }));
      expect(error).toBeInstanceOf(UserHashError);
      expect(error).toMatchObject({ code: 'ERR_LARDER_USER_HASH', cause: original });
      expect(error.message).toContain('MyCustomClass');
      expect(error.message).toContain(`'obj'`);
      expect(error.message).toContain(`'score'`);
      expect(error.message).toContain('boom');
    });

    it('takes precedence over the hashKey protocol and resource identity', () => {
      const keyed = Object.assign(new MyCustomClass(1), { [HASH_KEY]: () => 'protocol' });
      markResource(keyed, 'resource');
      const hashFuncs = { MyCustomClass: () => 'hashFunc' };
      expect(hashValue(keyed, { hashFuncs })).toBe(hashValue(new MyCustomClass(9), { hashFuncs }));
    });
  });

  describe('the hashKey protocol', () => {
    class Point {
      constructor(readonly x: number, readonly y: number, readonly cache = new WeakMap()) {}
      [HASH_KEY]() {
        return [this.x, this.y];
      }
    }

    it('hashes an object by what its [Symbol.for("larder.hashKey")]() returns', () => {
      expect(hashValue(new Point(1, 2))).toBe(hashValue(new Point(1, 2)));
      expect(hashValue(new Point(1, 2))).not.toBe(hashValue(new Point(2, 1)));
      expect(hashValue(new Point(1, 2))).not.toBe(hashValue([1, 2]));
    });

    it('applies to plain objects too', () => {
      expect(hashValue({ id: 1, noise: Math.random(), [HASH_KEY]: () => 1 })).toBe(hashValue({ id: 1, [HASH_KEY]: () => 1 }));
    });

    it('hashes an object whose hashKey returns itself by content', () => {
      const self = { a: 1, [HASH_KEY]() { return this; } };
      expect(hashValue(self)).toBe(hashValue({ a: 1, [HASH_KEY]() { return this; } }));
    });

    it('wraps an error thrown by hashKey in UserHashError', () => {
      const original = new Error('nope');
      const error = thrown(() => hashValue({ [HASH_KEY]: () => { throw original; } }, { argName: 'p', functionName: 'f' }));
      expect(error).toBeInstanceOf(UserHashError);
      expect(error.cause).toBe(original);
    });
  });

  describe('resources', () => {
    it('hashes a resource by its identity, not its content', () => {
      const pool = new (class Pool { connections = Math.random(); })();
      const samePool = new (class Pool { connections = Math.random(); })();
      markResource(pool, 'db()');
      markResource(samePool, 'db()');
      expect(hashValue(pool)).toBe(hashValue(samePool));
    });

    it('tells resources with different identities apart, and from their identity string', () => {
      const a = new MyCustomClass();
      const b = new MyCustomClass();
      markResource(a, 'client("a")');
      markResource(b, 'client("b")');
      expectAllDistinct([a, b, 'client("a")']);
    });

    it('checks resource identity before content, for plain objects, Maps and functions too', () => {
      const config = { url: 'x' };
      const registry = new Map([['k', 1]]);
      const fn = () => 1;
      markResource(config, 'config');
      markResource(registry, 'config');
      markResource(fn, 'config');
      expect(hashValue(config)).toBe(hashValue(registry));
      expect(hashValue(fn)).toBe(hashValue(config));
      expect(hashValue(config)).not.toBe(hashValue({ url: 'x' }));
    });
  });
});

describe('hashArguments()', () => {
  it('makes argument names part of the key', () => {
    expect(hashArguments([['a', 1]], { functionName: 'f' })).not.toBe(hashArguments([['b', 1]], { functionName: 'f' }));
  });

  it('keeps argument order', () => {
    const ab = hashArguments([['a', 1], ['b', 2]], { functionName: 'f' });
    expect(hashArguments([['b', 2], ['a', 1]], { functionName: 'f' })).not.toBe(ab);
  });

  it('differs from hashing the same values with hashValue', () => {
    expect(hashArguments([['a', 1]], { functionName: 'f' })).not.toBe(hashValue([['a', 1]]));
    expect(hashArguments([], { functionName: 'f' })).not.toBe(hashValue([]));
  });

  it('does not depend on the function name (that is the caller’s part of the key)', () => {
    expect(hashArguments([['a', 1]], { functionName: 'f' })).toBe(hashArguments([['a', 1]], { functionName: 'g' }));
  });

  it('uses normalized hashFuncs', () => {
    const hashFuncs = normalizeHashFuncs({ MyCustomClass: (o: MyCustomClass) => o.id });
    const key = (id: number) => hashArguments([['obj', new MyCustomClass(id)]], { functionName: 'f', hashFuncs });
    expect(key(1)).toBe(key(1));
    expect(key(1)).not.toBe(key(2));
  });
});

describe('normalizeHashFuncs()', () => {
  it.each<[string, unknown]>([
    ['a non-function value', { Date: 'day' }],
    ['a non-function value in a Map', new Map([[Date, 1]])],
    ['an empty class name', { '': () => 1 }],
    ['a key that is neither a class nor a name', new Map([[42, () => 1]])],
    ['an arrow function as the class', new Map([[() => 1, () => 1]])],
    ['an array entry that is not a pair', [[Date]]],
    ['an array entry that is not an array', ['Date']],
    ['a function instead of a collection', () => 1],
    ['a string instead of a collection', 'Date'],
    ['a class instance instead of a collection', new MyCustomClass()],
  ])('throws BadOptionError for %s', (_label, input) => {
    expect(() => normalizeHashFuncs(input as HashFuncsInput)).toThrow(BadOptionError);
  });

  it('names the option and shows an example', () => {
    const error = thrown(() => normalizeHashFuncs({ Date: 'day' } as unknown as HashFuncsInput, 'cached().hashFuncs'));
    expect(error).toMatchObject({ code: 'ERR_LARDER_BAD_OPTION' });
    expect(error.message).toContain(`'cached().hashFuncs'`);
    expect(error.message).toContain('Example');
  });

  it('returns normalized hashFuncs unchanged', () => {
    const hashFuncs = normalizeHashFuncs({ Date: (d: Date) => d.getDay() });
    expect(normalizeHashFuncs(hashFuncs)).toBe(hashFuncs);
  });

  it('treats no hashFuncs as none', () => {
    expect(normalizeHashFuncs(undefined).size).toBe(0);
  });
});

describe('hashing properties', () => {
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('array'), tie('object'), tie('map'), tie('set')),
    leaf: fc.oneof(
      fc.constantFrom(undefined, null, true, false, 0, -0, NaN, 1, Infinity, '', '0', '1', 'a'),
      fc.integer({ min: -2, max: 2 }),
      fc.double(),
      fc.string({ maxLength: 3 }),
      fc.bigInt({ min: -2n, max: 2n }),
      fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(3) }),
      fc.uint8Array({ maxLength: 2 }),
      fc.uint8Array({ maxLength: 2 }).map((bytes) => Buffer.from(bytes)),
      fc.int8Array({ maxLength: 2 }),
      fc.float64Array({ maxLength: 2 }),
    ),
    array: fc.array(tie('value'), { maxLength: 3 }),
    object: fc.dictionary(fc.constantFrom('a', 'b', '0', '__proto__'), tie('value'), { maxKeys: 3, noNullPrototype: true }),
    map: fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
    set: fc.array(tie('value'), { maxLength: 3 }).map((members) => new Set(members)),
  }));

  it('gives structurally different values different digests, and equal values equal ones', () => {
    // isDeepStrictEqual is the oracle: it separates 0 from -0, equates NaN with NaN and compares types strictly.
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(hashValue(a) === hashValue(b)).toBe(isDeepStrictEqual(a, b));
      }),
      { numRuns: 2_000 },
    );
  });

  it('gives values from fc.anything() different digests unless they are deeply equal', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (a, b) => {
        expect(hashValue(a) === hashValue(b)).toBe(isDeepStrictEqual(a, b));
      }),
      { numRuns: 500 },
    );
  });

  it('writes plain objects and arrays by direct recursion exactly as through the work stack', () => {
    // Any hashFuncs entry sends every object through the work stack; one for no class changes no digest.
    const workStack = { hashFuncs: normalizeHashFuncs({ NoSuchClass: () => 0 }) };
    const shared = { s: [1] };
    const cyclic: Record<string, unknown> = { n: 1 };
    cyclic.self = [cyclic, { up: cyclic }];
    const wide = fc.dictionary(fc.string({ maxLength: 4 }), value, { maxKeys: 8 });
    fc.assert(
      fc.property(fc.array(fc.oneof(value, wide), { maxLength: 4 }), (items) => {
        const tree = { items, shared: [shared, { shared }], cyclic, rows: items.map((item) => ({ item, n: 1 })) };
        expect(hashValue(tree)).toBe(hashValue(tree, workStack));
      }),
      { numRuns: 1_000 },
    );
  });

  it('sorts the keys of objects of thousands of shapes as of one (the remembered key orders are bounded)', () => {
    const workStack = { hashFuncs: normalizeHashFuncs({ NoSuchClass: () => 0 }) };
    const rows = Array.from({ length: 3_000 }, (_, i) => ({ [`k${i % 1_500}`]: i, id: i, [`z${i}`]: { b: 1, a: 2 } }));
    expect(hashValue(rows)).toBe(hashValue(rows, workStack));
    expect(hashValue(rows)).toBe(hashValue(rows.map((row) => Object.fromEntries(Object.entries(row).reverse()))));
  });

  const entries = fc.uniqueArray(fc.tuple(fc.string({ maxLength: 4 }), value), { selector: ([key]) => key, maxLength: 6 });
  const reordered = entries.chain((list) =>
    fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })),
  );

  it('does not depend on the key order of plain objects', () => {
    fc.assert(
      fc.property(reordered, ([list, shuffled]) => {
        expect(hashValue(Object.fromEntries(shuffled))).toBe(hashValue(Object.fromEntries(list)));
      }),
    );
  });

  it('does not depend on the entry order of Maps and Sets', () => {
    fc.assert(
      fc.property(reordered, ([list, shuffled]) => {
        const objectKeyed = (l: typeof list) => new Map(l.map(([k, v]) => [[k], v]));
        expect(hashValue(new Map(shuffled))).toBe(hashValue(new Map(list)));
        expect(hashValue(objectKeyed(shuffled))).toBe(hashValue(objectKeyed(list)));
        expect(hashValue(new Set(shuffled.map(([k]) => k)))).toBe(hashValue(new Set(list.map(([k]) => k))));
        expect(hashValue(new Set(shuffled))).toBe(hashValue(new Set(list)));
      }),
    );
  });
});

describe('across processes', () => {
  // Self-contained (no imports, no closure), so its source can be evaluated in a child process as is.
  function buildCorpus(reverseInsertion: boolean): unknown[] {
    const order = <T,>(items: T[]): T[] => (reverseInsertion ? [...items].reverse() : items);
    const cyclic: Record<string, unknown> = { name: 'cycle' };
    cyclic.self = cyclic;
    return [
      1, -0, NaN, 10n, 'héllo', '\ud800', true, null, undefined,
      Object.fromEntries(order([['a', 1], ['b', [1, 2]], ['c', { d: null }]])),
      new Map(order<[unknown, unknown]>([['x', 1], [2, 'y'], [{ k: 1 }, [3]]])),
      new Set(order<unknown>(['a', 1, [2], { z: 0 }])),
      new Date('2024-05-01T10:00:00Z'), new Date(NaN), /a+b/gi, new URL('https://example.com/p?q=1'),
      new URLSearchParams('a=1&b=2&a=3'), Buffer.from('buffer'), new Float64Array([1.5, -0, NaN]),
      new BigUint64Array([2n ** 64n - 1n]), new DataView(new ArrayBuffer(4)), new TypeError('bad', { cause: 'why' }),
      new Uint8Array(5000).map((_, i) => i % 251), 'long'.repeat(5000), cyclic,
    ];
  }

  it('gives the same digests in a fresh Node process, whatever the insertion order', () => {
    const hashModule = fileURLToPath(new URL('../src/hash/hash.ts', import.meta.url));
    const script = [
      `import { hashValue } from ${JSON.stringify(hashModule)};`,
      `const corpus = (${buildCorpus.toString()})(true);`,
      `console.log(JSON.stringify(corpus.map((value) => hashValue(value))));`,
    ].join('\n');
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      encoding: 'utf8',
    });
    const here = buildCorpus(false).map((item) => hashValue(item));
    expect(JSON.parse(output)).toEqual(here);
    expect(new Set(here).size).toBe(here.length);
  });
});

function sharedBuffer(bytes: number[]): SharedArrayBuffer {
  const shared = new SharedArrayBuffer(bytes.length);
  new Uint8Array(shared).set(bytes);
  return shared;
}
