import { deserialize, serialize } from 'node:v8';
import { UnserializableReturnValueError, typeName } from '../errors.js';
import { applyPatches, faithfulPatches } from './faithful.js';
import { representsExactly } from './json-exact.js';

/**
 * cacheData results are stored as JSON text when that is exact, otherwise with V8's structured
 * serialization, which keeps Date, Map, Set, BigInt, RegExp, Error, typed arrays, Buffer and cycles.
 * What V8 would lose or change is decided by faithful.ts before anything is stored: refused, or
 * restored by patches stored with the value.
 */

/** The first byte of V8's serialization (its version tag); JSON text never starts with it. */
const V8_FORMAT = 0xff;
/** The first byte of a result stored with patches: `[value, patches]` in V8's serialization follows. */
const PATCHED = 0xfe;

/**
 * A result as stored: V8's serialization with patches when V8 alone would change it, JSON text when JSON
 * represents it exactly (see json-exact.ts), else V8's serialization. The first byte tells them apart, so
 * entries written before JSON or patches were used read as before.
 */
export function serializeResult(value: unknown, functionName: string): Buffer {
  const patches = faithfulPatches(value, functionName);
  if (patches !== undefined) {
    // One serialization holds the value and the patches, so a patch's target is the very object it restores.
    const bytes = serializeOrRefuse([value, patches], value, functionName);
    const out = Buffer.allocUnsafe(bytes.length + 1);
    out[0] = PATCHED;
    bytes.copy(out, 1);
    return out;
  }
  return representsExactly(value) ? asciiJson(value) : serializeOrRefuse(value, value, functionName);
}

/** V8's serialization, or UnserializableReturnValueError for what it throws on (the original in `cause`). */
function serializeOrRefuse(data: unknown, result: unknown, functionName: string): Buffer {
  try {
    return serialize(data);
  } catch (cause) {
    throw new UnserializableReturnValueError(functionName, typeName(result), 'the result', { cause });
  }
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

/** Whether a stored result is JSON text. */
export function isJsonResult(bytes: Buffer): boolean {
  return bytes[0] !== V8_FORMAT && bytes[0] !== PATCHED;
}

/** Whether a stored result is V8's serialization alone, which Larder versions before JSON and patches read too. */
export function isPlainV8Result(bytes: Buffer): boolean {
  return bytes[0] === V8_FORMAT;
}

/**
 * A fresh copy of a stored result. V8's deserializer makes typed arrays and Buffers views into the bytes it
 * reads: it reads a copy of its own (a new ArrayBuffer, never Node's shared pool), so that writing into a
 * result, or into its `.buffer`, changes neither the stored entry nor anything else.
 */
export function deserializeResult(bytes: Buffer): unknown {
  if (bytes[0] === V8_FORMAT) return deserialize(new Uint8Array(bytes));
  if (bytes[0] !== PATCHED) return JSON.parse(bytes.toString('latin1'));
  const [value, patches] = deserialize(new Uint8Array(bytes.subarray(1))) as [unknown, unknown[]];
  applyPatches(patches);
  return value;
}
