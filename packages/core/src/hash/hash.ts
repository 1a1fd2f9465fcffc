import { Tag } from './digest-writer.js';
import { Op } from './encoder-ops.js';
import { Encoder } from './encoder.js';
import { NO_HASH_FUNCS, normalizeHashFuncs, type HashFuncsInput, type NormalizedHashFuncs } from './hash-funcs.js';

// hash.ts stays the one module to import hashing from; hashFuncs normalization lives beside its validation.
export { NormalizedHashFuncs, normalizeHashFuncs } from './hash-funcs.js';
export type { HashFunc, HashFuncsInput } from './hash-funcs.js';

/** Options of {@link hashValue}. */
export interface HashOptions {
  /** Per-class hash functions; normalize them once with {@link normalizeHashFuncs} on hot paths. */
  hashFuncs?: HashFuncsInput | NormalizedHashFuncs;
  /** Argument name reported by errors. @default 'value' */
  argName?: string;
  /** Function name reported by errors. @default 'hashValue' */
  functionName?: string;
}

/**
 * Hashes any supported value into the hex SHA-256 digest used in cache keys. The digest depends only on the
 * value's content (never on object identity or insertion order of objects, Maps and Sets), so it is stable across
 * processes and restarts. See SPEC "Hashing" for the rules; a `Buffer` and a `Uint8Array` with the same bytes
 * hash differently (each typed array is tagged by its exact type).
 *
 * @throws {UnhashableParamError} for functions, symbols, promises, WeakMaps and instances of other classes
 *   without a `hashFuncs` entry, a `[Symbol.for('larder.hashKey')]()` method or a resource identity.
 * @throws {UserHashError} when a hash function (or hashKey method) throws; the original is its `cause`.
 *
 * @example
 * ```ts
 * hashValue({ a: 1, b: [1, 2] }) === hashValue({ b: [1, 2], a: 1 });                  // true
 * hashValue(new Date('2024-05-01T10:00Z'), { hashFuncs: { Date: (d: Date) => d.toISOString().slice(0, 10) } });
 * ```
 */
export function hashValue(value: unknown, options: HashOptions = {}): string {
  const encoder = Encoder.acquire(
    normalizeHashFuncs(options.hashFuncs),
    options.argName ?? 'value',
    options.functionName ?? 'hashValue',
  );
  try {
    encoder.begin(Tag.VALUE);
    encoder.push(Op.VALUE, value);
    encoder.run(0);
    return encoder.finish();
  } finally {
    encoder.release();
  }
}

/**
 * Hashes an ordered list of named arguments into one digest (argument names are part of the key). An unhashable
 * value anywhere inside argument `obj` is reported as argument `'obj'` of `functionName`.
 *
 * @example
 * ```ts
 * hashArguments([['url', url], ['limit', 10]], { functionName: 'loadData', hashFuncs });
 * ```
 */
export function hashArguments(
  args: ReadonlyArray<readonly [name: string, value: unknown]>,
  options: { hashFuncs?: NormalizedHashFuncs | undefined; functionName: string },
): string {
  const encoder = Encoder.acquire(options.hashFuncs ?? NO_HASH_FUNCS, '', options.functionName);
  try {
    encoder.begin(Tag.ARGUMENTS);
    encoder.u32(args.length);
    for (let i = args.length - 1; i >= 0; i--) {
      const [name, value] = args[i] as (typeof args)[number];
      encoder.push(Op.VALUE, value);
      encoder.push(Op.ARGUMENT, name);
    }
    encoder.run(0);
    return encoder.finish();
  } finally {
    encoder.release();
  }
}
