import { randomBytes } from 'node:crypto';

/**
 * Own properties that a type's content encoding leaves out: symbol keys of any object, and named
 * properties of built-ins whose content is something else (an array's elements, a Date's time, an
 * Error's name and message). `roleOf({ id: 1, [role]: 'guest' })` must not hit the entry of
 * `roleOf({ id: 1, [role]: 'admin' })`, nor a RegExp match array with another `input` the entry of
 * the first. Values without such properties (nearly all) encode exactly as before: their digests,
 * and so every persisted key, stay the same.
 */

/** The hashKey protocol method is how an object asks to be hashed, not part of its content. */
const HASH_KEY = Symbol.for('larder.hashKey');

/** How a type's own string keys relate to its content encoding. */
export const Named = {
  /** Every own enumerable string key is already content (plain objects). */
  CONTENT: 0,
  /** Keys other than array indices are extra (arrays). */
  NON_INDEX: 1,
  /** Every own enumerable string key is extra (Map, Set, Date, RegExp, Error, …). */
  ALL: 2,
  /**
   * Not looked for: typed arrays list every index as a key, so finding a named one costs a pass over the
   * whole buffer. Their symbol keys are still hashed.
   */
  SKIPPED: 3,
} as const;
export type NamedKeys = (typeof Named)[keyof typeof Named];

const typedArrays = [
  Buffer, Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
];
const errorClasses = [Error, TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError, AggregateError];

/** How the own string keys of each built-in relate to its content (the built-ins of built-ins.ts). */
const NAMED_BY_PROTOTYPE = new Map<object, NamedKeys>([
  [Array.prototype, Named.NON_INDEX],
  ...typedArrays.map((type): [object, NamedKeys] => [type.prototype, Named.SKIPPED]),
]);

/** An Error's content already holds these (when they are own enumerable properties, as `e.name = 'X'` makes them). */
export const ERROR_CONTENT: ReadonlySet<string> = new Set(['name', 'message', 'cause', 'errors']);

/** How `proto`'s own string keys relate to the content of its built-in type: ALL unless listed. */
export function namedKeysOf(proto: object): NamedKeys {
  return NAMED_BY_PROTOTYPE.get(proto) ?? Named.ALL;
}

/** Whether `proto` is one of the Error classes the encoder hashes by name, message and cause. */
export function isErrorPrototype(proto: object): boolean {
  return ERROR_PROTOTYPES.has(proto);
}
const ERROR_PROTOTYPES: ReadonlySet<object> = new Set(errorClasses.map((type) => type.prototype));

/** Extra properties, sorted: by key for names, by identity for symbols. Undefined when there are none. */
export interface Extras {
  readonly names: readonly string[];
  readonly symbols: ReadonlyArray<readonly [id: string, key: symbol]>;
}

/** The extra own enumerable properties of `value`, or undefined (the common case, without allocating more than the lookups). */
export function extrasOf(value: object, named: NamedKeys, covered?: ReadonlySet<string>): Extras | undefined {
  const symbols = enumerableSymbols(value);
  const names = named === Named.CONTENT || named === Named.SKIPPED ? NONE : extraNames(value, named, covered);
  if (symbols === undefined && names.length === 0) return undefined;
  return { names: names.length > 1 ? [...names].sort() : names, symbols: symbols ?? [] };
}

const NONE: readonly string[] = [];

function enumerableSymbols(value: object): Array<readonly [string, symbol]> | undefined {
  const own = Object.getOwnPropertySymbols(value);
  if (own.length === 0) return undefined;
  let found: Array<readonly [string, symbol]> | undefined;
  for (const key of own) {
    if (key === HASH_KEY || !Object.prototype.propertyIsEnumerable.call(value, key)) continue;
    (found ??= []).push([symbolId(key), key]);
  }
  return found?.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function extraNames(value: object, named: NamedKeys, covered: ReadonlySet<string> | undefined): readonly string[] {
  if (named === Named.NON_INDEX && !hasNamedProperties(value as readonly unknown[])) return NONE;
  const keys = Object.keys(value);
  if (named === Named.ALL) return covered ? keys.filter((key) => !covered.has(key)) : keys;
  // An array lists its indices first, in ascending order, then its other keys in creation order.
  let first = keys.length;
  while (first > 0 && !isArrayIndex(keys[first - 1]!)) first--;
  return first === keys.length ? NONE : keys.slice(first);
}

/**
 * Whether an array has enumerable own properties besides its elements, without listing its keys:
 * `Object.keys` turns every index into a string (several times the cost of hashing a number), while
 * `Object.values` counts elements and named properties alike, and a scan for holes tells them apart.
 */
export function hasNamedProperties(array: readonly unknown[]): boolean {
  const length = array.length;
  const enumerable = Object.values(array).length;
  if (enumerable > length) return true;
  let present = 0;
  for (let i = 0; i < length; i++) if (i in array) present++;
  return enumerable !== present;
}

/** Whether `key` is an array index: the canonical text of an integer below 2³² − 1. */
export function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  if (first < 48 || first > 57) return false;
  const index = Number(key);
  return index < 4294967295 && String(index) === key;
}

/** Unique symbols get an identity of this process: never equal to one another process gives, so never a wrong hit. */
const PROCESS = randomBytes(8).toString('hex');
const uniqueIds = new WeakMap<symbol, string>();
let uniqueCount = 0;

/**
 * A symbol as a key in a digest. `Symbol.for('x')` is the same symbol in every process: its registry key.
 * Well-known symbols (`Symbol.iterator`): their name. Any other symbol is one of a kind: two with the
 * same description are different keys, so it is identified within this process only (entries keyed by
 * it are not found again after a restart, or by another process — a miss, never someone else's value).
 */
export function symbolId(symbol: symbol): string {
  const registered = Symbol.keyFor(symbol);
  if (registered !== undefined) return `for:${registered}`;
  const description = symbol.description ?? '';
  if (description.startsWith('Symbol.') && (Symbol as unknown as Record<string, unknown>)[description.slice(7)] === symbol) {
    return `well-known:${description}`;
  }
  let id = uniqueIds.get(symbol);
  if (id === undefined) {
    id = `unique:${PROCESS}:${++uniqueCount}:${description}`;
    uniqueIds.set(symbol, id);
  }
  return id;
}
