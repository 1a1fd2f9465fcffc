import { deserialize, serialize } from 'node:v8';
import { UnserializableReturnValueError, typeName } from '../errors.js';
import { representsExactly } from './json-exact.js';

/**
 * cacheData results are stored as JSON text when that is exact, otherwise with V8's structured
 * serialization, which keeps Date, Map, Set, BigInt, RegExp, Error, typed arrays, Buffer and cycles.
 * It would silently turn a class instance into a plain object, so we walk the value first and refuse
 * anything that would not come back as it went in.
 */
const FAITHFUL_PROTOTYPES = new Set<unknown>([
  Object.prototype,
  null,
  Array.prototype,
  Map.prototype,
  Set.prototype,
  Date.prototype,
  RegExp.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  Buffer.prototype,
  Error.prototype,
  EvalError.prototype,
  RangeError.prototype,
  ReferenceError.prototype,
  SyntaxError.prototype,
  TypeError.prototype,
  URIError.prototype,
  ...[
    Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    Float32Array, Float64Array, BigInt64Array, BigUint64Array,
  ].map((typed) => typed.prototype),
]);

/** The first byte of V8's serialization (its version tag); JSON text never starts with it. */
const V8_FORMAT = 0xff;

/**
 * A result as stored: JSON text when JSON represents it exactly (see json-exact.ts), else V8's
 * serialization. The first byte tells them apart, so entries written before JSON was used read as before.
 */
export function serializeResult(value: unknown, functionName: string): Buffer {
  assertFaithful(value, functionName);
  return representsExactly(value) ? asciiJson(value) : serialize(value);
}

/**
 * JSON text in ASCII: characters past U+007F (only ever inside strings) are written as `\uXXXX`
 * escapes, so that a hit decodes the bytes as Latin-1, the cheapest decode there is.
 */
function asciiJson(value: unknown): Buffer {
  const text = JSON.stringify(value);
  if (Buffer.byteLength(text) === text.length) return Buffer.from(text, 'latin1');
  return Buffer.from(text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), 'latin1');
}

/** Whether a stored result is JSON text, which Larder versions before it cannot read (entry.ts versions it). */
export function isJsonResult(bytes: Buffer): boolean {
  return bytes[0] !== V8_FORMAT;
}

/** A fresh copy of a stored result. */
export function deserializeResult(bytes: Buffer): unknown {
  return bytes[0] === V8_FORMAT ? deserialize(bytes) : JSON.parse(bytes.toString('latin1'));
}

function assertFaithful(root: unknown, functionName: string): void {
  const seen = new Set<object>();
  const stack: Array<[unknown, string]> = [[root, 'the result']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'function' || typeof value === 'symbol') {
      throw new UnserializableReturnValueError(functionName, typeName(value), path);
    }
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (!FAITHFUL_PROTOTYPES.has(Object.getPrototypeOf(value)) || value instanceof Promise) {
      throw new UnserializableReturnValueError(functionName, typeName(value), path);
    }
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) continue;
    if (value instanceof Map) {
      for (const [k, v] of value) stack.push([k, `a key of ${path}`], [v, `${path}.get(…)`]);
    } else if (value instanceof Set) {
      for (const v of value) stack.push([v, `an element of ${path}`]);
    } else {
      for (const key of Object.keys(value)) stack.push([(value as Record<string, unknown>)[key], `${path}.${key}`]);
      if (Object.getOwnPropertySymbols(value).length > 0) {
        throw new UnserializableReturnValueError(functionName, 'symbol-keyed property', path);
      }
    }
  }
}
