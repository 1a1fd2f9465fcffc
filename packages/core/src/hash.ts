import { createHash, hash as hashOnce, type Hash } from 'node:crypto';
import { BadOptionError, UnhashableParamError, UserHashError, describe, typeName } from './errors.js';
import { resourceIdentity } from './resource-identity.js';

/** Turns a value of one class into something hashable (its id, a plain summary, …). */
export type HashFunc = (value: any) => unknown;

/** `hashFuncs` as users write it: keyed by the class (constructor) or by its name (`"MyCustomClass"`). */
export type HashFuncsInput =
  | Map<Function | string, HashFunc>
  | ReadonlyArray<readonly [Function | string, HashFunc]>
  | Record<string, HashFunc>;

/** Options of {@link hashValue}. */
export interface HashOptions {
  /** Per-class hash functions; normalize them once with {@link normalizeHashFuncs} on hot paths. */
  hashFuncs?: HashFuncsInput | NormalizedHashFuncs;
  /** Argument name reported by errors. @default 'value' */
  argName?: string;
  /** Function name reported by errors. @default 'hashValue' */
  functionName?: string;
}

/** The protocol method: `[Symbol.for('larder.hashKey')]()` returns what to hash instead of the object. */
const HASH_KEY = Symbol.for('larder.hashKey');

interface HashFuncEntry {
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

const NO_HASH_FUNCS = new NormalizedHashFuncs(new Map(), new Map());
const HASH_FUNCS_EXAMPLE =
  '{ hashFuncs: new Map([[User, (user) => user.id]]) } or { hashFuncs: { User: (user) => user.id } }';

/**
 * Validates `hashFuncs` once (in a factory) and returns the structure {@link hashValue} and
 * {@link hashArguments} look classes up in. Entries keyed by constructor and by class name produce identical keys.
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

// One byte per type. These values are part of every persisted key: never renumber them, only add.
const Tag = {
  VALUE: 0x01, ARGUMENTS: 0x02,
  UNDEFINED: 0x10, NULL: 0x11, FALSE: 0x12, TRUE: 0x13, NUMBER: 0x14, NAN: 0x15, BIGINT: 0x16,
  STRING: 0x17, STRING_UTF16: 0x18,
  ARRAY: 0x20, HOLE: 0x21, OBJECT: 0x22, MAP: 0x23, MAP_STRING_KEYS: 0x24, SET: 0x25, SET_STRINGS: 0x26,
  DATE: 0x27, INVALID_DATE: 0x28, REGEXP: 0x29, URL: 0x2a, URL_SEARCH_PARAMS: 0x2b, ERROR: 0x2c,
  ARRAY_BUFFER: 0x30, SHARED_ARRAY_BUFFER: 0x31, DATA_VIEW: 0x32, BUFFER: 0x33, INT8: 0x34, UINT8: 0x35,
  UINT8_CLAMPED: 0x36, INT16: 0x37, UINT16: 0x38, INT32: 0x39, UINT32: 0x3a, FLOAT32: 0x3b, FLOAT64: 0x3c,
  BIGINT64: 0x3d, BIGUINT64: 0x3e,
  BACK_REFERENCE: 0x40, HASH_FUNC: 0x41, HASH_KEY: 0x42, RESOURCE: 0x43,
} as const;
const FORMAT_VERSION = 1;

/**
 * Work items of the encoder: encode a value, write a key or a byte, leave an ancestor, start a named argument;
 * open and close the digest of one Map/Set entry, write a Map's or a Set's sorted entry digests.
 */
const Op = {
  VALUE: 0, KEY: 1, BYTE: 2, LEAVE: 3, ARGUMENT: 4, OPEN_DIGEST: 5, CLOSE_DIGEST: 6, MAP_DIGESTS: 7, SET_DIGESTS: 8,
} as const;
/** Rules tried on an object, in SPEC order (resource identity and content come after the hashKey protocol). */
const Rule = { HASH_FUNC: 0, HASH_KEY: 1, RESOURCE: 2 } as const;
/** The rule whose result a value is: that rule is not applied to the value again. */
type Via = HashFuncEntry | typeof HASH_KEY | undefined;
type Keyed = { [HASH_KEY]?: unknown };
type ContentEncoder = (encoder: Encoder, value: any) => void;

const typedArrays: ReadonlyArray<readonly [Function & { prototype: object }, number]> = [
  [Buffer, Tag.BUFFER], [Int8Array, Tag.INT8], [Uint8Array, Tag.UINT8], [Uint8ClampedArray, Tag.UINT8_CLAMPED],
  [Int16Array, Tag.INT16], [Uint16Array, Tag.UINT16], [Int32Array, Tag.INT32], [Uint32Array, Tag.UINT32],
  [Float32Array, Tag.FLOAT32], [Float64Array, Tag.FLOAT64], [BigInt64Array, Tag.BIGINT64],
  [BigUint64Array, Tag.BIGUINT64],
];
const errorClasses = [Error, TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError, AggregateError];

/** Built-in types, matched by exact prototype: a subclass is "another class" and needs hashFuncs. */
const BUILT_INS = new Map<object, ContentEncoder>([
  [Array.prototype, (e, v: unknown[]) => e.array(v)],
  [Map.prototype, (e, v: Map<unknown, unknown>) => e.map(v)],
  [Set.prototype, (e, v: Set<unknown>) => e.set(v)],
  [Date.prototype, (e, v: Date) => e.date(v)],
  [RegExp.prototype, (e, v: RegExp) => (e.tag(Tag.REGEXP), e.string(v.source), e.string(v.flags))],
  [URL.prototype, (e, v: URL) => (e.tag(Tag.URL), e.string(v.href))],
  [URLSearchParams.prototype, (e, v: URLSearchParams) => e.searchParams(v)],
  [ArrayBuffer.prototype, (e, v: ArrayBuffer) => e.binary(Tag.ARRAY_BUFFER, v, 0, v.byteLength)],
  [SharedArrayBuffer.prototype, (e, v: SharedArrayBuffer) => e.binary(Tag.SHARED_ARRAY_BUFFER, v, 0, v.byteLength)],
  [DataView.prototype, (e, v: DataView) => e.binary(Tag.DATA_VIEW, v.buffer, v.byteOffset, v.byteLength)],
  ...typedArrays.map(([type, tag]): [object, ContentEncoder] => [
    type.prototype,
    (e, v: Uint8Array) => e.binary(tag, v.buffer, v.byteOffset, v.byteLength),
  ]),
  ...errorClasses.map((type): [object, ContentEncoder] => [type.prototype, (e, v: Error) => e.error(v)]),
]);

const SCRATCH_BYTES = 8192;
/** Map/Set entries are usually small; deeply nested ones each hold a scratch buffer while open. */
const ENTRY_SCRATCH_BYTES = 1024;
/** Binary data longer than this is fed to the hash in place instead of being copied into the scratch buffer. */
const COPY_LIMIT = 1024;
/** Ancestors up to this depth are found by a linear scan (cheapest for shallow data), deeper ones in a Map. */
const SHALLOW_DEPTH = 32;
const EMPTY = new Uint8Array(0);
/** Scratch buffers of Map/Set entry digests, reused. */
const entryScratchPool: Buffer[] = [];

/**
 * Turns bytes into a SHA-256 digest: small writes go to a scratch buffer hashed in one shot when everything fits
 * (most keys); otherwise the scratch buffer is flushed into one incremental hash, and large data is fed in place.
 */
class DigestWriter {
  protected buf: Buffer = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  protected pos = 0;
  protected hash: Hash | undefined;

  tag(byte: number): void {
    if (this.pos === this.buf.length) this.flush();
    this.buf[this.pos++] = byte;
  }

  u32(value: number): void {
    this.reserve(4);
    this.pos = writeU32(this.buf, this.pos, value);
  }

  number(value: number): void {
    // Every NaN is the same value to a user; its bit pattern is not. -0 keeps its sign bit, so it differs from 0.
    if (value !== value) return this.tag(Tag.NAN);
    this.reserve(9);
    this.buf[this.pos] = Tag.NUMBER;
    this.pos = this.buf.writeDoubleLE(value, this.pos + 1);
  }

  string(value: string): void {
    const length = value.length;
    if (length * 3 + 5 > this.buf.length - this.pos) {
      this.flush();
      if (length * 3 + 5 > this.buf.length) return this.longString(value);
    }
    const buf = this.buf;
    const start = this.pos + 5;
    let bytes = 0;
    // Short ASCII strings (most keys) are copied by hand: cheaper than a call into the UTF-8 encoder.
    if (length <= 64) {
      while (bytes < length) {
        const code = value.charCodeAt(bytes);
        if (code > 0x7f) break;
        buf[start + bytes++] = code;
      }
    }
    let tag: number = Tag.STRING;
    if (bytes < length) {
      // UTF-8 would turn every lone surrogate into U+FFFD, making different strings collide: use UTF-16 for those.
      if (isWellFormed(value)) bytes = buf.write(value, start, 'utf8');
      else (tag = Tag.STRING_UTF16), (bytes = buf.write(value, start, 'utf16le'));
    }
    buf[this.pos] = tag;
    writeU32(buf, this.pos + 1, bytes);
    this.pos = start + bytes;
  }

  binary(tag: number, buffer: ArrayBufferLike, offset: number, length: number): void {
    this.tag(tag);
    this.u32(length % 0x1_0000_0000);
    this.u32(Math.floor(length / 0x1_0000_0000));
    // length 0 also covers detached buffers, which cannot be viewed.
    const bytes = length === 0 ? EMPTY : new Uint8Array(buffer, offset, length);
    if (length <= COPY_LIMIT && length <= this.buf.length) {
      this.reserve(length);
      this.buf.set(bytes, this.pos);
      this.pos += length;
    } else {
      this.flush();
      this.hashObject().update(bytes);
    }
  }

  finish(): string {
    if (this.hash === undefined) return hashOnce('sha256', this.buf.subarray(0, this.pos), 'hex');
    this.flush();
    return this.hash.digest('hex');
  }

  private longString(value: string): void {
    const encoding = isWellFormed(value) ? 'utf8' : 'utf16le';
    this.tag(encoding === 'utf8' ? Tag.STRING : Tag.STRING_UTF16);
    this.u32(Buffer.byteLength(value, encoding));
    this.flush();
    this.hashObject().update(value, encoding);
  }

  protected reserve(bytes: number): void {
    if (this.pos + bytes > this.buf.length) this.flush();
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.hashObject().update(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  private hashObject(): Hash {
    return (this.hash ??= createHash('sha256'));
  }
}

/** Idle encoders: hashing is synchronous, so one is reused call after call (a reentrant call takes another). */
const encoderPool: Encoder[] = [];

/**
 * Encodes values by the SPEC rules into a {@link DigestWriter}. Nested values go through an explicit work stack,
 * not recursion, so deep data cannot overflow the call stack; the stack is a flat array of
 * `[operand, via, op]` triples so that scheduling a value allocates nothing.
 */
class Encoder extends DigestWriter {
  private readonly work: unknown[] = [];
  private top = 0;
  /** Objects being encoded, by depth: meeting one again is a cycle, encoded as that depth. */
  private readonly ancestors: Array<object | undefined> = [];
  private deepAncestors: Map<object, number> | undefined;
  private depth = 0;
  /** Output state (buffer, position, hash) of the digests that wait while a Map/Set entry digest is open. */
  private readonly outer: unknown[] = [];
  private funcs = NO_HASH_FUNCS;
  private argName = '';
  private functionName = '';

  static acquire(funcs: NormalizedHashFuncs, argName: string, functionName: string): Encoder {
    const encoder = encoderPool.pop() ?? new Encoder();
    encoder.funcs = funcs;
    encoder.argName = argName;
    encoder.functionName = functionName;
    return encoder;
  }

  /** Resets the encoder (also after a throw, so it retains no user object) and returns it to the pool. */
  release(): void {
    // After a normal run both stacks are already empty; only a throw leaves references behind.
    if (this.top > 0) this.work.fill(undefined, 0, this.top);
    if (this.depth > 0) this.ancestors.fill(undefined);
    if (this.work.length > 4096) this.work.length = 0;
    if (this.outer.length > 0) (this.buf = this.outer[0] as Buffer), (this.outer.length = 0);
    this.top = this.depth = this.pos = 0;
    this.hash = this.deepAncestors = undefined;
    if (encoderPool.length < 4) encoderPool.push(this);
  }

  begin(kind: number): void {
    this.tag(FORMAT_VERSION);
    this.tag(kind);
  }

  /** Schedules work; items run last-pushed first, so a container pushes its children in reverse. */
  push(op: number, operand: unknown, via?: Via): void {
    const work = this.work;
    work[this.top] = operand;
    work[this.top + 1] = via;
    work[this.top + 2] = op;
    this.top += 3;
  }

  /** Runs scheduled work down to `base`: what a Map/Set entry digest scheduled, or everything. */
  run(base: number): void {
    const work = this.work;
    while (this.top > base) {
      const top = (this.top -= 3);
      const operand = work[top];
      const via = work[top + 1] as Via;
      const op = work[top + 2];
      work[top] = work[top + 1] = undefined;
      if (op === Op.VALUE) this.value(operand, via);
      else if (op === Op.KEY) this.string(operand as string);
      else if (op === Op.BYTE) this.tag(operand as number);
      else if (op === Op.LEAVE) this.leave(operand as object);
      else if (op === Op.ARGUMENT) this.string((this.argName = operand as string));
      else if (op === Op.OPEN_DIGEST) this.openDigest();
      else if (op === Op.CLOSE_DIGEST) (operand as string[]).push(this.closeDigest());
      else this.digests(op === Op.MAP_DIGESTS ? Tag.MAP : Tag.SET, operand as string[]);
    }
  }

  /**
   * @param via - the rule (hashFuncs entry or hashKey protocol) whose result `value` is; not applied to it again,
   *   so a hash function that returns its argument, or another instance of its class, cannot recurse forever.
   */
  private value(value: unknown, via: Via): void {
    if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
      const depth = this.ancestorDepth(value);
      if (depth !== -1) return this.tag(Tag.BACK_REFERENCE), this.u32(depth);
      this.enter(value);
      return this.object(value, via);
    }
    if (this.funcs.coversPrimitives && value != null) {
      const entry = this.funcs.lookup(value);
      if (entry !== undefined && entry !== via) return this.viaHashFunc(value, entry);
    }
    if (!this.primitive(value)) throw new UnhashableParamError(this.argName, typeName(value), this.functionName);
  }

  /** Writes a primitive; false for objects, functions and symbols. */
  private primitive(value: unknown): boolean {
    switch (typeof value) {
      case 'string': return this.string(value), true;
      case 'number': return this.number(value), true;
      case 'boolean': return this.tag(value ? Tag.TRUE : Tag.FALSE), true;
      case 'undefined': return this.tag(Tag.UNDEFINED), true;
      case 'bigint': return this.tag(Tag.BIGINT), this.string(value.toString(16)), true;
      case 'object': return value === null && (this.tag(Tag.NULL), true);
      default: return false;
    }
  }

  /** Writes a child at once when nothing scheduled may precede it and no hashFuncs can apply: a plain primitive. */
  private leaf(value: unknown): boolean {
    return !this.funcs.coversPrimitives && this.primitive(value);
  }

  /** SPEC order: hashFuncs entry, hashKey protocol, resource identity, built-in content, else unhashable. */
  private object(value: object, via: Via, from: number = Rule.HASH_FUNC): void {
    if (from <= Rule.HASH_FUNC && this.funcs.size > 0) {
      const entry = this.funcs.lookup(value);
      if (entry !== undefined && entry !== via) return this.viaHashFunc(value, entry);
    }
    const hashKey: unknown = from <= Rule.HASH_KEY && via !== HASH_KEY ? (value as Keyed)[HASH_KEY] : undefined;
    if (typeof hashKey === 'function') {
      const result = this.callUser(value, () => hashKey.call(value));
      this.tag(Tag.HASH_KEY);
      // An object returned as is is already an ancestor: scheduling it as a value would read as a cycle.
      if (result === value) return this.object(value, via, Rule.RESOURCE);
      return this.push(Op.VALUE, result, HASH_KEY);
    }
    const identity = resourceIdentity(value);
    if (identity !== undefined) return this.tag(Tag.RESOURCE), this.string(identity);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return this.plainObject(value as Record<string, unknown>);
    const encode = BUILT_INS.get(proto as object);
    if (encode !== undefined) return encode(this, value);
    throw new UnhashableParamError(this.argName, typeName(value), this.functionName);
  }

  private viaHashFunc(value: unknown, entry: HashFuncEntry): void {
    const result = this.callUser(value, () => entry.fn(value));
    this.tag(Tag.HASH_FUNC);
    this.string(entry.name);
    if (result === value && typeof value === 'object' && value !== null) this.object(value, entry, Rule.HASH_KEY);
    else this.push(Op.VALUE, result, entry);
  }

  private callUser(value: unknown, call: () => unknown): unknown {
    try {
      return call();
    } catch (cause) {
      throw new UserHashError(typeName(value), this.argName, this.functionName, cause);
    }
  }

  private plainObject(value: Record<string, unknown>): void {
    const keys = Object.keys(value);
    if (keys.length > 1) keys.sort();
    this.tag(Tag.OBJECT);
    this.u32(keys.length);
    this.entries(keys, (key) => value[key]);
  }

  /** Writes `key, value` pairs in order: leading primitive values at once, the rest through the work stack. */
  private entries(keys: readonly string[], valueOf: (key: string) => unknown): void {
    let i = 0;
    for (; i < keys.length; i++) {
      const key = keys[i] as string;
      const value = valueOf(key);
      if (this.funcs.coversPrimitives || !isPrimitive(value)) break;
      this.string(key);
      this.primitive(value);
    }
    for (let j = keys.length - 1; j >= i; j--) {
      const key = keys[j] as string;
      this.push(Op.VALUE, valueOf(key));
      this.push(Op.KEY, key);
    }
  }

  array(value: readonly unknown[]): void {
    this.tag(Tag.ARRAY);
    this.u32(value.length);
    let i = 0;
    while (i < value.length && (i in value ? this.leaf(value[i]) : (this.tag(Tag.HOLE), true))) i++;
    for (let j = value.length - 1; j >= i; j--) {
      if (j in value) this.push(Op.VALUE, value[j]);
      else this.push(Op.BYTE, Tag.HOLE);
    }
  }

  // Maps and Sets are unordered: string keys/members are sorted; anything else is hashed entry by entry and the
  // sorted entry digests are hashed, which depends only on the multiset of entries.
  map(value: Map<unknown, unknown>): void {
    const keys = stringsOrUndefined(value.keys());
    if (keys !== undefined) {
      this.tag(Tag.MAP_STRING_KEYS);
      this.u32(keys.length);
      return this.entries(keys.sort(), (key) => value.get(key));
    }
    const digests: string[] = [];
    this.push(Op.MAP_DIGESTS, digests);
    // Entries may be scheduled in any order: their digests are sorted before being written.
    for (const [k, v] of value) {
      this.push(Op.CLOSE_DIGEST, digests);
      this.push(Op.VALUE, v);
      this.push(Op.VALUE, k);
      this.push(Op.OPEN_DIGEST, undefined);
    }
  }

  set(value: Set<unknown>): void {
    const members = stringsOrUndefined(value.values());
    if (members !== undefined) {
      this.tag(Tag.SET_STRINGS);
      this.u32(members.length);
      for (const member of members.sort()) this.string(member);
      return;
    }
    const digests: string[] = [];
    this.push(Op.SET_DIGESTS, digests);
    for (const member of value) {
      this.push(Op.CLOSE_DIGEST, digests);
      this.push(Op.VALUE, member);
      this.push(Op.OPEN_DIGEST, undefined);
    }
  }

  /** Starts an entry digest in a scratch buffer of its own; the outer output waits on `outer`. */
  private openDigest(): void {
    this.outer.push(this.buf, this.pos, this.hash);
    this.buf = entryScratchPool.pop() ?? Buffer.allocUnsafeSlow(ENTRY_SCRATCH_BYTES);
    this.pos = 0;
    this.hash = undefined;
  }

  private closeDigest(): string {
    const digest = this.finish();
    if (entryScratchPool.length < 64) entryScratchPool.push(this.buf);
    this.hash = this.outer.pop() as Hash | undefined;
    this.pos = this.outer.pop() as number;
    this.buf = this.outer.pop() as Buffer;
    return digest;
  }

  private digests(tag: number, digests: string[]): void {
    digests.sort();
    this.tag(tag);
    this.u32(digests.length);
    for (const digest of digests) {
      this.reserve(32);
      this.pos += this.buf.write(digest, this.pos, 'hex');
    }
  }

  date(value: Date): void {
    const time = value.getTime();
    if (Number.isNaN(time)) return this.tag(Tag.INVALID_DATE);
    this.tag(Tag.DATE);
    this.number(time);
  }

  searchParams(value: URLSearchParams): void {
    this.tag(Tag.URL_SEARCH_PARAMS);
    for (const [name, text] of value) {
      this.tag(1);
      this.string(name);
      this.string(text);
    }
    this.tag(0);
  }

  error(value: Error): void {
    this.tag(Tag.ERROR);
    const hasCause = Object.hasOwn(value, 'cause');
    if (value instanceof AggregateError) this.push(Op.VALUE, value.errors);
    if (hasCause) this.push(Op.VALUE, value.cause);
    this.push(Op.BYTE, hasCause ? 1 : 0);
    this.push(Op.VALUE, value.message);
    this.push(Op.VALUE, value.name);
  }

  private ancestorDepth(value: object): number {
    const shallow = Math.min(this.depth, SHALLOW_DEPTH);
    for (let i = 0; i < shallow; i++) if (this.ancestors[i] === value) return i;
    return this.deepAncestors?.get(value) ?? -1;
  }

  private enter(value: object): void {
    if (this.depth < SHALLOW_DEPTH) this.ancestors[this.depth] = value;
    else (this.deepAncestors ??= new Map()).set(value, this.depth);
    this.depth++;
    this.push(Op.LEAVE, value);
  }

  private leave(value: object): void {
    this.depth--;
    if (this.depth < SHALLOW_DEPTH) this.ancestors[this.depth] = undefined;
    else this.deepAncestors?.delete(value);
  }
}

/** Little-endian, like Buffer#writeUInt32LE without its argument checks (lengths here are known to fit). */
function writeU32(buf: Buffer, pos: number, value: number): number {
  buf[pos] = value;
  buf[pos + 1] = value >>> 8;
  buf[pos + 2] = value >>> 16;
  buf[pos + 3] = value >>> 24;
  return pos + 4;
}

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol');
}

function stringsOrUndefined(items: Iterable<unknown>): string[] | undefined {
  const strings: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') return undefined;
    strings.push(item);
  }
  return strings;
}

/** `String.prototype.isWellFormed` (Node 20+), missing from the ES2023 lib typings. */
function isWellFormed(value: string): boolean {
  return (value as string & { isWellFormed(): boolean }).isWellFormed();
}
