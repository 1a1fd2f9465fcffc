/**
 * Values are hashed completely or refused (SPEC, safety invariant 6), tried as an attacker would: every
 * place a value can hide a difference from a hash that reads only the "usual" parts — symbol keys, named
 * properties of arrays, an Error's `code`, a Date with a property — and hash functions that never end.
 * Each attack has its positive control: equal values must still hash equal, or the test could pass by
 * hashing at random.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cacheData, createLarder, UserHashError } from '../src/index.js';
import { hashValue } from '../src/hash/hash.js';

const HASH_KEY = Symbol.for('larder.hashKey');

describe('own symbol keys', () => {
  const role = Symbol('role');

  it('are part of the digest: { id: 1, [role]: "guest" } is not { id: 1, [role]: "admin" }', () => {
    expect(hashValue({ id: 1, [role]: 'guest' })).not.toBe(hashValue({ id: 1, [role]: 'admin' }));
    expect(hashValue({ id: 1, [role]: 'guest' })).not.toBe(hashValue({ id: 1 }));
    // Positive control.
    expect(hashValue({ id: 1, [role]: 'guest' })).toBe(hashValue({ [role]: 'guest', id: 1 }));
  });

  it('tell apart two unique symbols with the same description', () => {
    const a = Symbol('k');
    const b = Symbol('k');
    expect(hashValue({ [a]: 1 })).not.toBe(hashValue({ [b]: 1 }));
    expect(hashValue({ [a]: 1 })).toBe(hashValue({ [a]: 1 }));
  });

  it('hash a registered symbol (Symbol.for) by its registry key, a well-known one by its name', () => {
    expect(hashValue({ [Symbol.for('tenant')]: 7 })).toBe(hashValue({ [Symbol.for('tenant')]: 7 }));
    expect(hashValue({ [Symbol.for('tenant')]: 7 })).not.toBe(hashValue({ [Symbol('tenant')]: 7 }));
    expect(hashValue({ [Symbol.toStringTag]: 'X' })).not.toBe(hashValue({ [Symbol.for('Symbol.toStringTag')]: 'X' }));
  });

  it('are not confused with a string key of the same text', () => {
    expect(hashValue({ [Symbol.for('a')]: 1 })).not.toBe(hashValue({ a: 1 }));
    expect(hashValue({ [Symbol.for('a')]: 1 })).not.toBe(hashValue({ 'for:a': 1 }));
  });

  it('are hashed on arrays, Maps, Dates and Errors too', () => {
    const tagged = <T extends object>(value: T, tag: string): T => Object.assign(value, { [role]: tag });
    for (const make of [() => [1], () => new Map([[1, 2]]), () => new Date(0), () => new Error('x'), () => new Set([1])]) {
      expect(hashValue(tagged(make(), 'a'))).not.toBe(hashValue(tagged(make(), 'b')));
      expect(hashValue(tagged(make(), 'a'))).toBe(hashValue(tagged(make(), 'a')));
    }
  });

  it('make the value unhashable when they hold something unhashable, as a string key would', () => {
    expect(() => hashValue({ [role]: () => 1 })).toThrow(/Cannot hash/);
  });

  it('leave out the hashKey protocol method of an object hashed by its content', () => {
    const self = { a: 1, [HASH_KEY]() { return this; } };
    expect(hashValue(self)).toBe(hashValue({ a: 1, [HASH_KEY]() { return this; } }));
  });
});

describe('named properties of arrays', () => {
  it('are part of the digest', () => {
    const page = (extra: unknown) => Object.assign([1, 2], { extra });
    expect(hashValue(page('a'))).not.toBe(hashValue(page('b')));
    expect(hashValue(page('a'))).not.toBe(hashValue([1, 2]));
    expect(hashValue(page('a'))).toBe(hashValue(page('a')));
  });

  it('tell apart RegExp matches of the same text in different inputs', () => {
    const first = 'a-b'.match(/b/)!;
    const second = 'xb'.match(/b/)!;
    expect([...first]).toEqual([...second]);
    expect(hashValue(first)).not.toBe(hashValue(second));
    expect(hashValue(first)).toBe(hashValue('a-b'.match(/b/)));
  });

  it('do not depend on their order, and are not confused with elements', () => {
    const ab = Object.assign([0], { a: 1, b: 2 });
    const ba = Object.assign([0], { b: 2, a: 1 });
    expect(hashValue(ab)).toBe(hashValue(ba));
    expect(hashValue(Object.assign([0], { 1: 5 }))).toBe(hashValue([0, 5]));
    expect(hashValue(Object.assign([0], { '01': 5 }))).not.toBe(hashValue([0, 5]));
    expect(hashValue(Object.assign([0], { '4294967295': 5 }))).not.toBe(hashValue([0]));
  });

  it('keep holes distinct from undefined and from named properties', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(hashValue([1, , 3])).not.toBe(hashValue([1, undefined, 3]));
    expect(hashValue(Object.assign([1], { length: 3 }))).not.toBe(hashValue([1, undefined, undefined]));
  });
});

describe('own properties of other built-ins', () => {
  it("include an Error's code and status", () => {
    const failure = (code: string) => Object.assign(new Error('failed'), { code, status: 503 });
    expect(hashValue(failure('ECONNRESET'))).not.toBe(hashValue(failure('ETIMEDOUT')));
    expect(hashValue(failure('ECONNRESET'))).not.toBe(hashValue(new Error('failed')));
    expect(hashValue(failure('ECONNRESET'))).toBe(hashValue(failure('ECONNRESET')));
  });

  it('include named properties of a Map, a Set, a Date and a RegExp', () => {
    for (const make of [() => new Map(), () => new Set(), () => new Date(0), () => /x/]) {
      expect(hashValue(Object.assign(make(), { v: 1 }))).not.toBe(hashValue(Object.assign(make(), { v: 2 })));
      expect(hashValue(Object.assign(make(), { v: 1 }))).not.toBe(hashValue(make()));
    }
  });
});

describe('a value with extra properties as an argument of a cached function', () => {
  it('gets its own entry: the cached result of another never comes back', async () => {
    const larder = createLarder();
    const role = Symbol('role');
    const roleOf = cacheData(function roleOf(user: { id: number; [role]?: string }) {
      return user[role] ?? 'none';
    }, { larder });
    expect(await roleOf({ id: 1, [role]: 'admin' })).toBe('admin');
    expect(await roleOf({ id: 1, [role]: 'guest' })).toBe('guest');
    expect(await roleOf({ id: 1, [role]: 'admin' })).toBe('admin');
    await larder.close();
  });
});

describe('generated values', () => {
  const symbols = [Symbol('a'), Symbol('a'), Symbol.for('a'), Symbol.iterator];
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('leaf'), tie('array'), tie('object')),
    leaf: fc.oneof(fc.constantFrom(undefined, null, 0, -0, 1, '', 'a', 'b'), fc.integer({ min: -2, max: 2 })),
    extras: fc.record(
      {
        names: fc.dictionary(fc.constantFrom('x', 'y', 'index', 'input', '01', '4294967295'), tie('leaf'), { maxKeys: 2, noNullPrototype: true }),
        symbols: fc.array(fc.tuple(fc.constantFrom(...symbols), tie('leaf')), { maxLength: 2 }),
      },
    ),
    array: fc
      .tuple(fc.array(tie('value'), { maxLength: 3 }), tie('extras'), fc.boolean())
      .map(([items, extras, withExtras]) => (withExtras ? withProperties(items, extras as Extras) : items)),
    object: fc
      .tuple(fc.dictionary(fc.constantFrom('a', 'b', 'x'), tie('value'), { maxKeys: 2, noNullPrototype: true }), tie('extras'), fc.boolean())
      .map(([record, extras, withSymbols]) => (withSymbols ? withProperties(record, { names: {}, symbols: (extras as Extras).symbols }) : record)),
  }));

  it('hash equal exactly when deeply equal, own symbol keys and array properties included', () => {
    // isDeepStrictEqual compares own enumerable symbol keys and the named properties of arrays: the oracle.
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(hashValue(a) === hashValue(b)).toBe(isDeepStrictEqual(a, b));
      }),
      { numRuns: 3_000 },
    );
  });
});

interface Extras {
  names: Record<string, unknown>;
  symbols: Array<[symbol, unknown]>;
}

function withProperties<T extends object>(target: T, extras: Extras): T {
  Object.assign(target, extras.names);
  for (const [key, item] of extras.symbols) (target as Record<symbol, unknown>)[key] = item;
  return target;
}

describe('hash functions that never converge', () => {
  class Session {
    constructor(readonly id: number) {}
  }

  it.each([
    ['a hashFuncs entry returning the value itself', () => hashValue(new Session(1), { hashFuncs: { Session: (s: Session) => s } })],
    ['a hashFuncs entry returning a new value of the same class', () => hashValue(new Session(1), { hashFuncs: { Session: (s: Session) => new Session(s.id) } })],
    ['a hashFuncs entry nesting a new value of the same class', () => hashValue(new Session(1), { hashFuncs: { Session: (s: Session) => ({ inner: new Session(s.id + 1) }) } })],
    ['a hashFuncs entry for String nesting the string', () => hashValue('x', { hashFuncs: { String: (s: string) => ({ s }) } })],
    ['a hashKey method returning this', () => hashValue(new (class Keyed { [HASH_KEY]() { return this; } })())],
    ['a hashKey method returning a new instance', () => {
      class Fresh { [HASH_KEY]() { return new Fresh(); } }
      return hashValue(new Fresh());
    }],
    ['a hashKey method nesting a new instance', () => {
      class Nested { [HASH_KEY](): unknown { return [new Nested()]; } }
      return hashValue(new Nested());
    }],
  ])('throws UserHashError for %s, and returns', (_label, hash) => {
    expect(hash).toThrow(UserHashError);
    expect(hash).toThrow(/never converges/);
  });

  it('(positive control) rules that do converge still hash', () => {
    const day = { Date: (d: Date) => new Date(d.toISOString().slice(0, 10)) };
    expect(hashValue(new Date('2024-05-01T08:00Z'), { hashFuncs: day })).toBe(hashValue(new Date('2024-05-01T20:00Z'), { hashFuncs: day }));
    class Node {
      constructor(readonly value: number, readonly next?: Node) {}
    }
    let list: Node | undefined;
    for (let i = 0; i < 5_000; i++) list = new Node(i, list);
    const byContent = { Node: (n: Node) => ({ value: n.value, next: n.next ?? null }) };
    expect(hashValue(list, { hashFuncs: byContent })).toMatch(/^[0-9a-f]{64}$/);
    expect(hashValue({ a: 1, [HASH_KEY]() { return this; } })).toMatch(/^[0-9a-f]{64}$/);
  });
});
