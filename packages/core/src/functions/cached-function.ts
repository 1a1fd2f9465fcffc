import { createHash } from 'node:crypto';
import { parseDuration } from '../duration.js';
import { BadOptionError } from '../errors.js';
import { hashArguments, normalizeHashFuncs, type HashFuncsInput, type NormalizedHashFuncs } from '../hash/hash.js';
import type { Larder } from '../larder.js';
import { namedArguments, parseParams, readsThis, type ParamInfo } from './params.js';

/** Options shared by `cacheData` and `cacheResource`. */
export interface CachedFunctionOptions {
  /** How long an entry lives after it is written (reads don't extend it). A duration. @default forever */
  ttl?: number | string | null;
  /** Most entries kept for this function; the least recently used goes first. @default unbounded */
  maxEntries?: number;
  /** Hashing rules for argument types Larder cannot hash by itself, keyed by class or class name. */
  hashFuncs?: HashFuncsInput;
  /** Explicit identity (for minified code, or to share entries between two functions). @default fn.name */
  name?: string;
  /** The larder whose store and events are used. @default the default larder */
  larder?: Larder;
}

export interface FunctionSpec {
  name: string;
  /** name + hash of the source: editing the code invalidates persisted entries. */
  id: string;
  ttlMs: number;
  maxEntries: number;
  hashFuncs: NormalizedHashFuncs | undefined;
  params: ParamInfo[];
  /** Whether the function reads `this`; only then is a method receiver part of the key. */
  readsThis: boolean;
}

export function functionSpec(fn: unknown, options: CachedFunctionOptions, factory: string): FunctionSpec {
  if (typeof fn !== 'function') {
    throw new BadOptionError('fn', `${factory} expects a function, got ${typeof fn}`, `${factory}(async function load(url) { … })`);
  }
  if (options === null || typeof options !== 'object') {
    throw new BadOptionError('options', 'expected an object', `${factory}(fn, { ttl: '1h' })`);
  }
  const { maxEntries, name } = options;
  if (maxEntries !== undefined && !(Number.isInteger(maxEntries) && maxEntries > 0) && maxEntries !== Infinity) {
    throw new BadOptionError('maxEntries', `expected a positive integer, got ${String(maxEntries)}`, `${factory}(fn, { maxEntries: 100 })`);
  }
  if (name !== undefined && (typeof name !== 'string' || name.length === 0 || name.includes('|'))) {
    throw new BadOptionError('name', `expected a non-empty string without '|', got ${String(name)}`, `${factory}(fn, { name: 'loadUsers' })`);
  }
  const source = Function.prototype.toString.call(fn);
  const displayName = name ?? (fn.name || 'anonymous');
  const codeHash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  return {
    name: displayName,
    id: `${displayName}:${codeHash}`,
    ttlMs: options.ttl === undefined ? Infinity : parseDuration(options.ttl, 'ttl'),
    maxEntries: maxEntries ?? Infinity,
    hashFuncs: options.hashFuncs === undefined ? undefined : normalizeHashFuncs(options.hashFuncs),
    params: parseParams(fn),
    readsThis: readsThis(fn),
  };
}

/** The hash of one call: named arguments, plus `this` when called as a method that reads it. */
export function callKey(spec: FunctionSpec, thisArg: unknown, args: readonly unknown[]): string {
  const named = namedArguments(spec.params, args);
  if (spec.readsThis && isMethodReceiver(thisArg)) named.unshift(['this', thisArg]);
  return hashArguments(named, { hashFuncs: spec.hashFuncs, functionName: spec.name });
}

function isMethodReceiver(thisArg: unknown): boolean {
  return (typeof thisArg === 'object' || typeof thisArg === 'function') && thisArg !== null && thisArg !== globalThis;
}
