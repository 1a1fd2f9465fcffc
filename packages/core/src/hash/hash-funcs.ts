import { BadOptionError, describe } from '../errors.js';

/** Turns a value of one class into something hashable (its id, a plain summary, …). */
export type HashFunc = (value: any) => unknown;

/** `hashFuncs` as users write it: keyed by the class (constructor) or by its name (`"MyCustomClass"`). */
export type HashFuncsInput =
  | Map<Function | string, HashFunc>
  | ReadonlyArray<readonly [Function | string, HashFunc]>
  | Record<string, HashFunc>;

/** @internal One `hashFuncs` entry, as the encoder applies it. */
export interface HashFuncEntry {
  /** The class name, whether the entry was keyed by constructor or by name, so both forms give the same keys. */
  readonly name: string;
  readonly fn: HashFunc;
}

/** `hashFuncs` validated by {@link normalizeHashFuncs}: a lookup from a value to the entry for its nearest class. */
export class NormalizedHashFuncs {
  /** Whether an entry targets String, Number, Boolean, BigInt or Symbol, so primitives need a lookup at all. */
  readonly coversPrimitives: boolean;
  private readonly objectEntry: HashFuncEntry | undefined;

  /** @internal Use {@link normalizeHashFuncs}. */
  constructor(
    private readonly byConstructor: ReadonlyMap<Function, HashFuncEntry>,
    private readonly byName: ReadonlyMap<string, HashFuncEntry>,
  ) {
    this.objectEntry = byConstructor.get(Object) ?? byName.get('Object');
    this.coversPrimitives = [String, Number, Boolean, BigInt, Symbol].some((c) => this.entryFor(c) !== undefined);
  }

  /** Number of entries. */
  get size(): number {
    return this.byConstructor.size + this.byName.size;
  }

  /**
   * The entry for the nearest class in `value`'s prototype chain. The walk stops below `Object.prototype`:
   * an `Object` entry applies to plain objects only, never to arrays, Dates or class instances.
   */
  lookup(value: unknown): HashFuncEntry | undefined {
    let proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return this.objectEntry;
    for (; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      const ctor: unknown = Object.hasOwn(proto as object, 'constructor') && (proto as object).constructor;
      const entry = typeof ctor === 'function' ? this.entryFor(ctor) : undefined;
      if (entry !== undefined) return entry;
    }
    return undefined;
  }

  private entryFor(ctor: Function): HashFuncEntry | undefined {
    return this.byConstructor.get(ctor) ?? this.byName.get(ctor.name);
  }
}

/** @internal The empty `hashFuncs`, shared: most callers have none. */
export const NO_HASH_FUNCS = new NormalizedHashFuncs(new Map(), new Map());
const HASH_FUNCS_EXAMPLE =
  '{ hashFuncs: new Map([[User, (user) => user.id]]) } or { hashFuncs: { User: (user) => user.id } }';

/**
 * Validates `hashFuncs` once (in a factory) and returns the structure `hashValue` and
 * `hashArguments` look classes up in. Entries keyed by constructor and by class name produce identical keys.
 *
 * @param input - a `Map`, an array of `[classOrName, fn]` pairs, or an object keyed by class name.
 * @param option - the option's name, used in error messages. @default 'hashFuncs'
 * @throws {BadOptionError} when an entry is not a function or a key is not a class or a non-empty class name.
 *
 * @example
 * ```ts
 * const hashFuncs = normalizeHashFuncs(new Map([[User, (user: User) => user.id]]));
 * hashValue(new User(42), { hashFuncs }) === hashValue(new User(42), { hashFuncs: { User: (u: User) => u.id } });
 * ```
 */
export function normalizeHashFuncs(
  input: HashFuncsInput | NormalizedHashFuncs | undefined,
  option = 'hashFuncs',
): NormalizedHashFuncs {
  if (input === undefined || input === null) return NO_HASH_FUNCS;
  if (input instanceof NormalizedHashFuncs) return input;
  const byConstructor = new Map<Function, HashFuncEntry>();
  const byName = new Map<string, HashFuncEntry>();
  for (const [key, fn] of entriesOf(input, option)) {
    if (typeof fn !== 'function') {
      const problem = `the entry for ${keyName(key)} is ${describe(fn)}, not a function`;
      throw new BadOptionError(option, problem, HASH_FUNCS_EXAMPLE);
    }
    // An arrow function has no prototype, so no instance can have it as its class.
    if (typeof key === 'function' && key.prototype !== undefined) byConstructor.set(key, makeEntry(key.name, fn));
    else if (typeof key === 'string' && key !== '') byName.set(key, makeEntry(key, fn));
    else throw new BadOptionError(option, `${keyName(key)} is neither a class nor a class name`, HASH_FUNCS_EXAMPLE);
  }
  return new NormalizedHashFuncs(byConstructor, byName);
}

function entriesOf(input: unknown, option: string): Iterable<readonly [unknown, unknown]> {
  if (input instanceof Map) return input;
  if (Array.isArray(input)) {
    for (const pair of input as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        const problem = `array entries must be [classOrName, fn] pairs, got ${describe(pair)}`;
        throw new BadOptionError(option, problem, HASH_FUNCS_EXAMPLE);
      }
    }
    return input as Array<[unknown, unknown]>;
  }
  const proto: unknown = typeof input === 'object' ? Object.getPrototypeOf(input) : undefined;
  if (proto === Object.prototype || proto === null) return Object.entries(input as object);
  throw new BadOptionError(
    option,
    `expected a Map, an array of [classOrName, fn] pairs or an object keyed by class name, got ${describe(input)}`,
    HASH_FUNCS_EXAMPLE,
  );
}

function makeEntry(name: string, fn: Function): HashFuncEntry {
  return { name, fn: fn as HashFunc };
}

function keyName(key: unknown): string {
  return typeof key === 'function' ? `class ${key.name || '(anonymous)'}` : describe(key);
}
