import { BUILT_INS } from './built-ins.js';
import { DigestWriter, FORMAT_VERSION, Tag } from './digest-writer.js';
import { Op } from './encoder-ops.js';
import { UnhashableParamError, UserHashError, typeName } from '../errors.js';
import { NO_HASH_FUNCS, type HashFuncEntry, type NormalizedHashFuncs } from './hash-funcs.js';
import { ERROR_CONTENT, extrasOf, isErrorPrototype, Named, namedKeysOf, type NamedKeys } from './extras.js';
import { KeyOrder } from './key-order.js';
import { resourceIdentity } from './resource-identity.js';

/** The protocol method: `[Symbol.for('larder.hashKey')]()` returns what to hash instead of the object. */
const HASH_KEY = Symbol.for('larder.hashKey');

/** Rules tried on an object, in SPEC order (resource identity and content come after the hashKey protocol). */
const Rule = { HASH_FUNC: 0, HASH_KEY: 1, RESOURCE: 2 } as const;
/** The rule whose result a value is: that rule is not applied to the value again. */
type Via = HashFuncEntry | typeof HASH_KEY | undefined;
type Keyed = { [HASH_KEY]?: unknown };

/**
 * Most hashFuncs/hashKey results nested in one another. A rule whose result holds a new value needing the same
 * rule (`(foo) => ({ inner: new Foo() })`) would otherwise never end; real data nests far less.
 */
const MAX_RULE_DEPTH = 100_000;

/** Ancestors up to this depth are found by a linear scan (cheapest for shallow data), deeper ones in a Map. */
const SHALLOW_DEPTH = 32;
/**
 * Plain objects and arrays nested up to this depth are encoded by direct recursion; deeper ones go through the
 * work stack, so that no input can overflow the call stack.
 */
const DIRECT_DEPTH = 64;

/** Idle encoders: hashing is synchronous, so one is reused call after call (a reentrant call takes another). */
const encoderPool: Encoder[] = [];

/**
 * Encodes values by the SPEC rules into a {@link DigestWriter}. Nested values go through an explicit work stack,
 * not recursion, so deep data cannot overflow the call stack; the stack is a flat array of
 * `[operand, via, op]` triples so that scheduling a value allocates nothing. Plain objects and arrays (most
 * arguments: parsed JSON, options, rows) take a faster road while no `hashFuncs` apply: direct recursion, up to
 * {@link DIRECT_DEPTH} levels, writing the same bytes in the same order.
 */
export class Encoder extends DigestWriter {
  private readonly work: unknown[] = [];
  private top = 0;
  /** Objects being encoded, by depth: meeting one again is a cycle, encoded as that depth. */
  private readonly ancestors: Array<object | undefined> = [];
  private deepAncestors: Map<object, number> | undefined;
  private depth = 0;
  /** Plain trees being encoded by direct recursion, on the call stack (see {@link Encoder.plainTree}). */
  private direct = 0;
  /** Whether the value being encoded is a plain tree's child: its siblings are written as soon as it returns. */
  private inTree = false;
  private readonly keyOrder = new KeyOrder();
  /** hashFuncs/hashKey results being encoded, one inside the other. */
  private ruleDepth = 0;
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
    this.resetOutput();
    this.top = this.depth = this.direct = this.ruleDepth = 0;
    this.inTree = false;
    this.deepAncestors = undefined;
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
      else if (op === Op.RULE_DONE) this.ruleDepth--;
      else this.entryDigests(op === Op.MAP_DIGESTS ? Tag.MAP : Tag.SET, operand as string[]);
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
      if (via === undefined && this.funcs.size === 0 && this.direct < DIRECT_DEPTH && this.plainTree(value)) return;
      const base = this.top;
      this.enter(value);
      this.object(value, via);
      if (this.inTree) {
        // A plain tree writes the next sibling as soon as this returns: finish what this value scheduled first.
        this.inTree = false;
        this.run(base);
        this.inTree = true;
      }
      return;
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
  leaf(value: unknown): boolean {
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
      if (result === value) return this.object(value, HASH_KEY, Rule.RESOURCE);
      return this.pushRuleResult(value, result, HASH_KEY);
    }
    const identity = resourceIdentity(value);
    if (identity !== undefined) return this.tag(Tag.RESOURCE), this.string(identity);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      this.extras(value, Named.CONTENT);
      return this.plainObject(value as Record<string, unknown>);
    }
    const encode = BUILT_INS.get(proto as object);
    if (encode !== undefined) {
      this.extras(value, namedKeysOf(proto as object), isErrorPrototype(proto as object) ? ERROR_CONTENT : undefined);
      return encode(this, value);
    }
    if (via !== undefined && this.needsAgain(value, via)) {
      // The rule returned the value itself, or another of its class: applying it again would never end.
      throw new UserHashError(typeName(value), this.argName, this.functionName, undefined, 'never converges');
    }
    throw new UnhashableParamError(this.argName, typeName(value), this.functionName);
  }

  /** Whether `value`, produced by rule `via`, could only be hashed by that same rule again. */
  private needsAgain(value: object, via: HashFuncEntry | typeof HASH_KEY): boolean {
    return via === HASH_KEY ? typeof (value as Keyed)[HASH_KEY] === 'function' : this.funcs.lookup(value) === via;
  }

  /**
   * Schedules, after the content the caller is about to write, the own properties that content leaves out
   * (extras.ts): the EXTRAS tag, `1 name value` per named property, `2 symbol value` per symbol key, then 0.
   * Nothing at all for a value without them, so its digest is what it always was.
   */
  private extras(value: object, named: NamedKeys, covered?: ReadonlySet<string>): void {
    const found = extrasOf(value, named, covered);
    if (found === undefined) return;
    const record = value as Record<string | symbol, unknown>;
    this.push(Op.BYTE, 0);
    for (let i = found.symbols.length - 1; i >= 0; i--) {
      const [id, key] = found.symbols[i]!;
      this.push(Op.VALUE, record[key]);
      this.push(Op.KEY, id);
      this.push(Op.BYTE, 2);
    }
    for (let i = found.names.length - 1; i >= 0; i--) {
      const name = found.names[i]!;
      this.push(Op.VALUE, record[name]);
      this.push(Op.KEY, name);
      this.push(Op.BYTE, 1);
    }
    this.push(Op.BYTE, Tag.EXTRAS);
  }

  private viaHashFunc(value: unknown, entry: HashFuncEntry): void {
    const result = this.callUser(value, () => entry.fn(value));
    this.tag(Tag.HASH_FUNC);
    this.string(entry.name);
    if (result === value && typeof value === 'object' && value !== null) this.object(value, entry, Rule.HASH_KEY);
    else this.pushRuleResult(value, result, entry);
  }

  /** Schedules the result of a rule applied to `value`, counting how deep rule results nest. */
  private pushRuleResult(value: unknown, result: unknown, via: HashFuncEntry | typeof HASH_KEY): void {
    if (++this.ruleDepth > MAX_RULE_DEPTH) {
      throw new UserHashError(typeName(value), this.argName, this.functionName, undefined, 'never converges');
    }
    this.push(Op.RULE_DONE, undefined);
    this.push(Op.VALUE, result, via);
  }

  private callUser(value: unknown, call: () => unknown): unknown {
    try {
      return call();
    } catch (cause) {
      throw new UserHashError(typeName(value), this.argName, this.functionName, cause);
    }
  }

  private plainObject(value: Record<string, unknown>): void {
    const keys = this.keyOrder.sorted(Object.keys(value));
    this.tag(Tag.OBJECT);
    this.u32(keys.length);
    this.entries(keys, (key) => value[key]);
  }

  /**
   * Encodes a plain object or array that no rule before content applies to (no hashKey method, no resource
   * identity) by recursion: the bytes {@link Encoder.object} and the work stack would write, without
   * scheduling each child. Returns false, having written nothing, for any other value.
   */
  private plainTree(value: object): boolean {
    const proto: unknown = Object.getPrototypeOf(value);
    const array = proto === Array.prototype;
    if (!array && proto !== Object.prototype && proto !== null) return false;
    if (typeof (value as Keyed)[HASH_KEY] === 'function' || resourceIdentity(value) !== undefined) return false;
    // Symbol keys, or an array's named properties: the work stack's road writes them after the content.
    if (extrasOf(value, array ? Named.NON_INDEX : Named.CONTENT) !== undefined) return false;
    const inTree = this.inTree;
    this.inTree = true;
    this.direct++;
    if (this.depth < SHALLOW_DEPTH) this.ancestors[this.depth] = value;
    else (this.deepAncestors ??= new Map()).set(value, this.depth);
    this.depth++;
    if (array) this.plainArray(value as unknown[]);
    else this.plainEntries(value as Record<string, unknown>);
    this.leave(value);
    this.direct--;
    this.inTree = inTree;
    return true;
  }

  private plainEntries(value: Record<string, unknown>): void {
    const keys = this.keyOrder.sorted(Object.keys(value));
    this.tag(Tag.OBJECT);
    this.u32(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      this.string(key);
      this.child(value[key]);
    }
  }

  private plainArray(value: readonly unknown[]): void {
    const length = value.length;
    this.tag(Tag.ARRAY);
    this.u32(length);
    for (let i = 0; i < length; i++) {
      const item = value[i];
      if (item === undefined && !(i in value)) this.tag(Tag.HOLE);
      else this.child(item);
    }
  }

  /** A child of a plain tree: primitives at once (no hashFuncs apply here), objects through {@link Encoder.value}. */
  private child(value: unknown): void {
    if ((typeof value === 'object' && value !== null) || typeof value === 'function') this.value(value, undefined);
    else if (!this.primitive(value)) throw new UnhashableParamError(this.argName, typeName(value), this.functionName);
  }

  /** Writes `key, value` pairs in order: leading primitive values at once, the rest through the work stack. */
  entries(keys: readonly string[], valueOf: (key: string) => unknown): void {
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

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol');
}
