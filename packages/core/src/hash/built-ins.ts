import { Tag, type DigestWriter } from './digest-writer.js';
import { Op, type ContentWriter } from './encoder-ops.js';

/** Writes the content of one built-in type; containers schedule their children on the encoder's work stack. */
type ContentEncoder = (encoder: ContentWriter, value: any) => void;

const typedArrays: ReadonlyArray<readonly [Function & { prototype: object }, number]> = [
  [Buffer, Tag.BUFFER], [Int8Array, Tag.INT8], [Uint8Array, Tag.UINT8], [Uint8ClampedArray, Tag.UINT8_CLAMPED],
  [Int16Array, Tag.INT16], [Uint16Array, Tag.UINT16], [Int32Array, Tag.INT32], [Uint32Array, Tag.UINT32],
  [Float32Array, Tag.FLOAT32], [Float64Array, Tag.FLOAT64], [BigInt64Array, Tag.BIGINT64],
  [BigUint64Array, Tag.BIGUINT64],
];
const errorClasses = [Error, TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError, AggregateError];

/** Built-in types, matched by exact prototype: a subclass is "another class" and needs hashFuncs. */
export const BUILT_INS = new Map<object, ContentEncoder>([
  [Array.prototype, encodeArray],
  [Map.prototype, encodeMap],
  [Set.prototype, encodeSet],
  [Date.prototype, encodeDate],
  [RegExp.prototype, (e, v: RegExp) => (e.tag(Tag.REGEXP), e.string(v.source), e.string(v.flags))],
  [URL.prototype, (e, v: URL) => (e.tag(Tag.URL), e.string(v.href))],
  [URLSearchParams.prototype, encodeSearchParams],
  [ArrayBuffer.prototype, (e, v: ArrayBuffer) => e.binary(Tag.ARRAY_BUFFER, v, 0, v.byteLength)],
  [SharedArrayBuffer.prototype, (e, v: SharedArrayBuffer) => e.binary(Tag.SHARED_ARRAY_BUFFER, v, 0, v.byteLength)],
  [DataView.prototype, (e, v: DataView) => e.binary(Tag.DATA_VIEW, v.buffer, v.byteOffset, v.byteLength)],
  ...typedArrays.map(([type, tag]): [object, ContentEncoder] => [
    type.prototype,
    (e, v: Uint8Array) => e.binary(tag, v.buffer, v.byteOffset, v.byteLength),
  ]),
  ...errorClasses.map((type): [object, ContentEncoder] => [type.prototype, encodeError]),
]);

function encodeArray(e: ContentWriter, value: readonly unknown[]): void {
  e.tag(Tag.ARRAY);
  e.u32(value.length);
  let i = 0;
  while (i < value.length && (i in value ? e.leaf(value[i]) : (e.tag(Tag.HOLE), true))) i++;
  for (let j = value.length - 1; j >= i; j--) {
    if (j in value) e.push(Op.VALUE, value[j]);
    else e.push(Op.BYTE, Tag.HOLE);
  }
}

// Maps and Sets are unordered: string keys/members are sorted; anything else is hashed entry by entry and the
// sorted entry digests are hashed, which depends only on the multiset of entries.
function encodeMap(e: ContentWriter, value: Map<unknown, unknown>): void {
  const keys = stringsOrUndefined(value.keys());
  if (keys !== undefined) {
    e.tag(Tag.MAP_STRING_KEYS);
    e.u32(keys.length);
    return e.entries(keys.sort(), (key) => value.get(key));
  }
  const digests: string[] = [];
  e.push(Op.MAP_DIGESTS, digests);
  // Entries may be scheduled in any order: their digests are sorted before being written.
  for (const [k, v] of value) {
    e.push(Op.CLOSE_DIGEST, digests);
    e.push(Op.VALUE, v);
    e.push(Op.VALUE, k);
    e.push(Op.OPEN_DIGEST, undefined);
  }
}

function encodeSet(e: ContentWriter, value: Set<unknown>): void {
  const members = stringsOrUndefined(value.values());
  if (members !== undefined) {
    e.tag(Tag.SET_STRINGS);
    e.u32(members.length);
    for (const member of members.sort()) e.string(member);
    return;
  }
  const digests: string[] = [];
  e.push(Op.SET_DIGESTS, digests);
  for (const member of value) {
    e.push(Op.CLOSE_DIGEST, digests);
    e.push(Op.VALUE, member);
    e.push(Op.OPEN_DIGEST, undefined);
  }
}

function encodeDate(e: DigestWriter, value: Date): void {
  const time = value.getTime();
  if (Number.isNaN(time)) return e.tag(Tag.INVALID_DATE);
  e.tag(Tag.DATE);
  e.number(time);
}

function encodeSearchParams(e: DigestWriter, value: URLSearchParams): void {
  e.tag(Tag.URL_SEARCH_PARAMS);
  for (const [name, text] of value) {
    e.tag(1);
    e.string(name);
    e.string(text);
  }
  e.tag(0);
}

function encodeError(e: ContentWriter, value: Error): void {
  e.tag(Tag.ERROR);
  const hasCause = Object.hasOwn(value, 'cause');
  if (value instanceof AggregateError) e.push(Op.VALUE, value.errors);
  if (hasCause) e.push(Op.VALUE, value.cause);
  e.push(Op.BYTE, hasCause ? 1 : 0);
  e.push(Op.VALUE, value.message);
  e.push(Op.VALUE, value.name);
}

function stringsOrUndefined(items: Iterable<unknown>): string[] | undefined {
  const strings: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') return undefined;
    strings.push(item);
  }
  return strings;
}
