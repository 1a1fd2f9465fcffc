import { deserialize, serialize } from 'node:v8';
import { UnserializableReturnValueError, typeName } from '../errors.js';

/**
 * cacheData results are stored with V8's structured serialization, which keeps Date, Map, Set,
 * BigInt, RegExp, Error, typed arrays, Buffer and cycles. It would silently turn a class instance
 * into a plain object, so we walk the value first and refuse anything that would not come back
 * as it went in.
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

export function serializeResult(value: unknown, functionName: string): Buffer {
  assertFaithful(value, functionName);
  return serialize(value);
}

export function deserializeResult(bytes: Buffer): unknown {
  return deserialize(bytes);
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
