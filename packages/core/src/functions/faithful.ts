import { UnserializableReturnValueError, typeName } from '../errors.js';
import { hasNamedProperties, isArrayIndex } from '../hash/extras.js';

/**
 * cacheData results are stored with V8's structured serialization, which keeps Date, Map, Set, BigInt,
 * RegExp, typed arrays, Buffer, holes, an array's named properties and cycles. What it does not keep is
 * decided here, before anything is stored: each value either comes back exactly as it went in, or is
 * refused with UnserializableReturnValueError — never changed in silence.
 *
 * - restored (by patches stored beside the value, applied after deserialization): a null prototype; an
 *   Error's own properties (`code`, `status`, a custom `name`, AggregateError's `errors`, a missing
 *   `stack`) and its class; non-enumerable data properties; a RegExp's `lastIndex`;
 * - refused: functions, symbols, symbol-keyed properties, accessor (getter/setter) properties, class
 *   instances and other prototypes (their methods would be lost), promises, weak collections,
 *   own properties on a Map, Set, Date or binary data.
 *
 * Not looked for, because finding them costs a pass over every index (documented as limits): accessor
 * or non-enumerable properties at array indices, non-enumerable named properties of arrays, and named
 * properties of typed arrays and Buffers.
 */

/** How an object is restored after deserialization; each patch is plain data, stored with the value. */
export const Patch = {
  /** `[target, NULL_PROTOTYPE]` */
  NULL_PROTOTYPE: 0,
  /** `[target, ERROR_CLASS, index in ERROR_CLASSES]` */
  ERROR_CLASS: 1,
  /** `[target, DEFINE, key, value, flags]`: a data property with these attributes. */
  DEFINE: 2,
  /** `[target, DELETE, key]`: a property V8 adds that the value did not have (an Error's stack). */
  DELETE: 3,
} as const;

/** Error classes, by position: a patch names one by index, never by a prototype read from the store. */
export const ERROR_CLASSES: readonly ErrorConstructor[] = [
  Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError as unknown as ErrorConstructor,
];
const ERROR_PROTOTYPES = new Map<object, number>(ERROR_CLASSES.map((type, i) => [type.prototype, i]));
/** V8 restores these classes; AggregateError comes back as Error. */
const NATIVE_ERRORS = 7;
/** Own properties of an Error that V8 stores and restores itself (with their usual attributes). */
const NATIVE_ERROR_FIELDS = new Set(['message', 'stack', 'cause']);

const WRITABLE = 1;
const ENUMERABLE = 2;
const CONFIGURABLE = 4;

const TYPED_ARRAYS = new Set<unknown>(
  [
    Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array,
    Float64Array, BigInt64Array, BigUint64Array, Buffer,
  ].map((typed) => typed.prototype),
);
/** Built-ins V8 round-trips whose own properties it drops: they may have none. */
const BARE = new Set<unknown>([Map.prototype, Set.prototype, Date.prototype, ArrayBuffer.prototype, DataView.prototype]);

/**
 * Checks that `root` can be stored faithfully and returns the patches that restore what V8 would lose
 * (undefined when there are none: the common case).
 * @throws UnserializableReturnValueError naming the function, the type and where it is in the result.
 */
export function faithfulPatches(root: unknown, functionName: string): unknown[] | undefined {
  const walk = new Walk(functionName);
  walk.visit(root, -1, 'the result');
  return walk.run();
}

/**
 * The values still to check, as parallel arrays (value, parent, key): a path is only spelled out for
 * the error message, never for values that pass.
 */
class Walk {
  readonly #functionName: string;
  readonly #values: unknown[] = [];
  readonly #parents: number[] = [];
  readonly #keys: string[] = [];
  /** Every checked object, in order, with its parent and key: the trail of an error's path. */
  readonly #trail: Array<[parent: number, key: string]> = [];
  readonly #seen = new Set<object>();
  #patches: unknown[] | undefined;
  #stack = 0;

  constructor(functionName: string) {
    this.#functionName = functionName;
  }

  visit(value: unknown, parent: number, key: string): void {
    if (typeof value === 'function' || typeof value === 'symbol') this.#refuse(typeName(value), parent, key);
    if (typeof value !== 'object' || value === null || this.#seen.has(value)) return;
    this.#seen.add(value);
    this.#values[this.#stack] = value;
    this.#parents[this.#stack] = parent;
    this.#keys[this.#stack] = key;
    this.#stack++;
  }

  run(): unknown[] | undefined {
    while (this.#stack > 0) {
      this.#stack--;
      const value = this.#values[this.#stack] as object;
      this.#values[this.#stack] = undefined;
      const at = this.#trail.push([this.#parents[this.#stack]!, this.#keys[this.#stack]!]) - 1;
      this.#check(value, at);
    }
    return this.#patches;
  }

  #check(value: object, at: number): void {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype) return this.#record(value, at);
    if (proto === Array.prototype) return this.#array(value as unknown[], at);
    if (proto === null) {
      this.#patch(value, Patch.NULL_PROTOTYPE);
      return this.#record(value, at);
    }
    const errorClass = ERROR_PROTOTYPES.get(proto as object);
    if (errorClass !== undefined) return this.#error(value as Error, errorClass, at);
    if (TYPED_ARRAYS.has(proto)) return this.#noSymbols(value, at);
    if (proto === RegExp.prototype) return this.#regExp(value as RegExp, at);
    if (!BARE.has(proto)) return this.#refuse(typeName(value), at);
    if (Object.getOwnPropertyNames(value).length > 0) this.#refuse(`a ${typeName(value)} with own properties`, at);
    this.#noSymbols(value, at);
    if (value instanceof Map) {
      for (const [k, v] of value) this.visit(k, at, 'a key'), this.visit(v, at, `get(${describeKey(k)})`);
    } else if (value instanceof Set) {
      for (const member of value) this.visit(member, at, 'a member');
    }
  }

  /** A plain or null-prototype object: own data properties, non-enumerable ones restored by patches. */
  #record(value: object, at: number): void {
    this.#noSymbols(value, at);
    const record = value as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
      if (!('value' in descriptor)) this.#refuse('an accessor (getter/setter) property', at, key);
      if (!descriptor.enumerable) this.#patch(value, Patch.DEFINE, key, descriptor.value, flags(descriptor));
      this.visit(record[key], at, key);
    }
  }

  /** Elements by index (holes survive); named properties, which V8 keeps when enumerable data. */
  #array(value: unknown[], at: number): void {
    this.#noSymbols(value, at);
    for (let i = value.length - 1; i >= 0; i--) if (i in value) this.visit(value[i], at, String(i));
    if (!hasNamedProperties(value)) return;
    for (const key of Object.keys(value)) {
      if (isArrayIndex(key)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
      if (!('value' in descriptor)) this.#refuse('an accessor (getter/setter) property', at, key);
      this.visit(descriptor.value, at, key);
    }
  }

  /**
   * V8 keeps an Error's class (read from its `name`; never AggregateError), its message (as a string), stack and cause.
   * Everything else it has is restored by patches: other own properties, a non-string message, a deleted stack.
   */
  #error(value: Error, errorClass: number, at: number): void {
    this.#noSymbols(value, at);
    // V8 picks the class to restore by the error's `name`: an own name (or AggregateError) needs the class restored.
    if (errorClass >= NATIVE_ERRORS || Object.hasOwn(value, 'name')) this.#patch(value, Patch.ERROR_CLASS, errorClass);
    const own = Object.getOwnPropertyNames(value);
    if (!own.includes('stack')) this.#patch(value, Patch.DELETE, 'stack');
    for (const key of own) {
      const descriptor = readDescriptor(value, key);
      if (descriptor === undefined) this.#refuse('an Error whose stack cannot be formatted (its name or message is not text)', at, key);
      // Some engines keep `stack` as an accessor of the instance (their own, native one): its text is what is stored.
      const engineStack = key === 'stack' && !('value' in descriptor) && isNative(descriptor.get);
      if (!('value' in descriptor) && !engineStack) this.#refuse('an accessor (getter/setter) property', at, key);
      const item = engineStack ? value.stack : descriptor!.value;
      const nativeForm = key === 'cause' || typeof item === 'string';
      const usualAttributes = engineStack || flags(descriptor) === (WRITABLE | CONFIGURABLE);
      const native = NATIVE_ERROR_FIELDS.has(key) && nativeForm && usualAttributes;
      if (!native) this.#patch(value, Patch.DEFINE, key, item, engineStack ? WRITABLE | CONFIGURABLE : flags(descriptor));
      this.visit(item, at, key);
    }
  }

  #regExp(value: RegExp, at: number): void {
    this.#noSymbols(value, at);
    const own = Object.getOwnPropertyNames(value);
    if (own.length !== 1 || own[0] !== 'lastIndex') this.#refuse('a RegExp with own properties', at);
    if (value.lastIndex !== 0) this.#patch(value, Patch.DEFINE, 'lastIndex', value.lastIndex, WRITABLE);
  }

  #noSymbols(value: object, at: number): void {
    if (Object.getOwnPropertySymbols(value).length > 0) this.#refuse('an object with symbol-keyed properties', at);
  }

  #patch(target: object, ...patch: unknown[]): void {
    (this.#patches ??= []).push([target, ...patch]);
  }

  /** Throws for the value at `at` (or its property `key`): the path is spelled out from the trail. */
  #refuse(type: string, at: number, key?: string): never {
    const names: string[] = key === undefined ? [] : [key];
    for (let i = at; i >= 0; ) {
      const [parent, name] = this.#trail[i]!;
      names.unshift(name);
      i = parent;
    }
    throw new UnserializableReturnValueError(this.#functionName, type, names.join('.'));
  }
}

/**
 * An Error's own property descriptor. Reading `stack` makes V8 format it, on first read, from the name and
 * message — which throws when one of them cannot be turned into text: undefined then.
 */
function readDescriptor(error: Error, key: string): PropertyDescriptor | undefined {
  try {
    return Object.getOwnPropertyDescriptor(error, key);
  } catch {
    return undefined;
  }
}

function isNative(fn: unknown): boolean {
  return typeof fn === 'function' && Function.prototype.toString.call(fn).endsWith('{ [native code] }');
}

function flags(descriptor: PropertyDescriptor): number {
  return (descriptor.writable ? WRITABLE : 0) | (descriptor.enumerable ? ENUMERABLE : 0) | (descriptor.configurable ? CONFIGURABLE : 0);
}

/** Applies patches to a freshly deserialized value (whose objects are the patches' targets). */
export function applyPatches(patches: readonly unknown[]): void {
  for (const patch of patches as Array<[object, number, ...unknown[]]>) {
    const [target, kind] = patch;
    if (typeof target !== 'object' || target === null) continue;
    if (kind === Patch.NULL_PROTOTYPE) {
      Object.setPrototypeOf(target, null);
    } else if (kind === Patch.ERROR_CLASS) {
      const type = ERROR_CLASSES[patch[2] as number];
      if (type) Object.setPrototypeOf(target, type.prototype);
    } else if (kind === Patch.DEFINE) {
      const bits = patch[4] as number;
      Object.defineProperty(target, patch[2] as string, {
        value: patch[3],
        writable: (bits & WRITABLE) !== 0,
        enumerable: (bits & ENUMERABLE) !== 0,
        configurable: (bits & CONFIGURABLE) !== 0,
      });
    } else if (kind === Patch.DELETE) {
      delete (target as Record<string, unknown>)[patch[2] as string];
    }
  }
}

function describeKey(key: unknown): string {
  return typeof key === 'string' ? JSON.stringify(key) : typeof key === 'object' && key !== null ? '…' : String(key);
}
