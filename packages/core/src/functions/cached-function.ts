import { parseDuration } from '../duration.js';
import { BadOptionError } from '../errors.js';
import { hashArguments, hashValue, normalizeHashFuncs, type HashFuncsInput, type NormalizedHashFuncs } from '../hash/hash.js';
import type { Larder } from '../larder.js';
import { checkOptions } from '../options.js';
import { identify, type FunctionIdentity } from './identity.js';
import { namedArguments } from './params.js';
import { parseLease } from '../store/lease.js';

/** Options shared by `cacheData` and `cacheResource`. */
export interface CachedFunctionOptions {
  /**
   * How long an entry lives after it is written (reads don't extend it). A duration. The current value
   * counts: shortening it in code also expires entries already stored. @default forever
   */
  ttl?: number | string | null;
  /** Most entries kept for this function; the least recently used goes first. @default unbounded */
  maxEntries?: number;
  /** Hashing rules for argument types Larder cannot hash by itself, keyed by class or class name. */
  hashFuncs?: HashFuncsInput;
  /**
   * Explicit identity, replacing the module and the function's name (the source hash stays, so editing
   * the code still invalidates entries). Needed when a bundler or minifier renames functions or merges
   * modules (or keep names with esbuild's `keepNames` / terser's `keep_fnames`, and keep modules apart),
   * and to tell apart wrappers that one factory function creates over different closures.
   * @default the calling module and `fn.name`
   * @example cacheData(async (id) => repo.find(id), { name: 'users.find' })
   */
  name?: string;
  /** The larder whose store and events are used. @default the default larder */
  larder?: Larder;
  /**
   * On a store shared by several processes (SQLite, Redis): how long the process computing a missing
   * value holds the others waiting for it before they compute themselves; `false` for no lease. Set it
   * above the function's slowest run. (`cacheResource` keeps its values in process: it has none to share.)
   * @default the larder's `lease` ('10s')
   */
  lease?: number | string | false;
}

/** The options every cached function takes; each factory adds its own. */
export const FUNCTION_OPTIONS = ['ttl', 'maxEntries', 'hashFuncs', 'name', 'larder', 'lease'] as const satisfies ReadonlyArray<keyof CachedFunctionOptions>;

export interface FunctionSpec extends FunctionIdentity {
  ttlMs: number;
  maxEntries: number;
  hashFuncs: NormalizedHashFuncs | undefined;
  larder: Larder | undefined;
  /** The `lease` option in milliseconds (0: none); undefined: the larder's. */
  leaseMs: number | undefined;
}

/**
 * Validates the function and the options of `cacheData`/`cacheResource` (`factory`, whose caller is the
 * function's module) and computes what its calls need: identity, ttl, bounds, hashing rules.
 */
export function functionSpec(
  fn: unknown,
  options: CachedFunctionOptions | undefined,
  factory: { name: 'cacheData' | 'cacheResource'; fn: Function; known: readonly string[] },
): FunctionSpec {
  const name = factory.name;
  if (typeof fn !== 'function') {
    throw new BadOptionError('fn', `${name} expects a function, got ${typeof fn}`, `${name}(async function load(url) { … })`);
  }
  const checked = checkOptions(options, { factory: name, known: factory.known, example: `${name}(fn, { ttl: '1h' })` });
  const { maxEntries, name: explicitName, larder } = checked;
  if (maxEntries !== undefined && !(Number.isInteger(maxEntries) && maxEntries > 0) && maxEntries !== Infinity) {
    throw new BadOptionError('maxEntries', `expected a positive integer, got ${String(maxEntries)}`, `${name}(fn, { maxEntries: 100 })`);
  }
  if (explicitName !== undefined && (typeof explicitName !== 'string' || explicitName.length === 0 || explicitName.includes('|'))) {
    throw new BadOptionError('name', `expected a non-empty string without '|', got ${String(explicitName)}`, `${name}(fn, { name: 'loadUsers' })`);
  }
  if (larder !== undefined && (larder === null || typeof larder !== 'object' || typeof larder.space !== 'function')) {
    throw new BadOptionError('larder', 'expected a larder from createLarder()', `${name}(fn, { larder: createLarder() })`);
  }
  const identity = identify(fn, explicitName, factory.fn);
  return {
    name: identity.name,
    id: identity.id,
    module: identity.module,
    params: identity.params,
    readsThis: identity.readsThis,
    ttlMs: checked.ttl === undefined ? Infinity : parseDuration(checked.ttl, 'ttl'),
    maxEntries: maxEntries ?? Infinity,
    hashFuncs: checked.hashFuncs === undefined ? undefined : normalizeHashFuncs(checked.hashFuncs),
    larder,
    leaseMs: checked.lease === undefined ? undefined : parseLease(checked.lease, `${name}(fn, { lease: '30s' })`),
  };
}

/** The key of one call, and the hash of its arguments alone. */
export interface CallKey {
  /** `argsHash`, or `argsHash.receiverHash` for a method call. */
  readonly key: string;
  readonly argsHash: string;
  /** Whether the receiver is part of the key: a function that reads `this`, called on an object. */
  readonly method: boolean;
}

/**
 * The key of one call. A method call is keyed by its arguments and its receiver hashed apart (the
 * receiver as an argument named `this`), so that `instance.method.clear(arg)`, which cannot see the
 * instance, can still find every entry for `arg`.
 */
export function callKey(spec: FunctionSpec, thisArg: unknown, args: readonly unknown[]): CallKey {
  const argsHash = hashArguments(namedArguments(spec.params, args), { hashFuncs: spec.hashFuncs, functionName: spec.name });
  if (!spec.readsThis || !isMethodReceiver(thisArg)) return { key: argsHash, argsHash, method: false };
  const receiver = hashValue(thisArg, { hashFuncs: spec.hashFuncs, argName: 'this', functionName: spec.name });
  return { key: `${argsHash}.${receiver}`, argsHash, method: true };
}

/**
 * Whether `this` is an object the function was called on. A module namespace (`import * as api from …;
 * api.load()`) is not: it holds the cached function itself, and says nothing about the call.
 */
export function isMethodReceiver(thisArg: unknown): boolean {
  if (thisArg === null || thisArg === globalThis || (typeof thisArg !== 'object' && typeof thisArg !== 'function')) return false;
  return Object.prototype.toString.call(thisArg) !== '[object Module]';
}
