import { crc32 } from 'node:zlib';

/**
 * One versioned envelope for every stored value (data results and HTTP responses):
 *
 *   "LRDR" | version u8 | header length u32 | header JSON | payload bytes | crc32 u32 (of everything before it)
 *
 * The checksum catches truncation and bit rot; the magic and version reject foreign values
 * written under our keys by something else. A failed check is a miss, never an exception.
 */
const MAGIC = Buffer.from('LRDR', 'latin1');
/** The envelope version of every entry whose payload any Larder can read. */
const VERSION = 1;
/**
 * The version of an entry whose payload older Larders cannot read: a cacheData result stored as JSON
 * text. They reject a version they do not know as a miss, where they would hand the payload to
 * `v8.deserialize` and fail the call. The layout is that of version 1.
 */
export const NEWER_PAYLOAD_VERSION = 2;
/**
 * The version of an entry whose payload Larders of version 2 cannot read either: a cacheData result
 * stored with the patches that restore what V8's serialization loses (functions/faithful.ts).
 */
export const PATCHED_PAYLOAD_VERSION = 3;
const PREFIX_BYTES = MAGIC.length + 1 + 4;

export interface EntryHeader {
  /** `data` for cacheData results, `http` for stored responses. */
  kind: 'data' | 'http';
  /** Milliseconds since the epoch when the value was produced. */
  storedAt: number;
  /** Until when the entry is fresh (ms since epoch); `null` means forever. */
  freshUntil: number | null;
  /** Until when a stale entry may still be served (staleWhileRevalidate / staleIfError windows). */
  staleUntil: number | null;
  /** Tag → version seen at write time; an entry whose tag moved on is invalid. */
  tags: Record<string, string>;
  /** Kind-specific metadata (status and headers for HTTP). */
  meta?: unknown;
  /**
   * The space's name as users know it (`GET /users/:id`, `loadData`), for tools that read the store
   * without the app (the `larder` CLI). Written last, so it never moves the start of the header that
   * fingerprints keep; entries written before it existed have none.
   */
  name?: string;
}

export interface Entry {
  header: EntryHeader;
  payload: Buffer;
}

/** Encodes an envelope; the payload may come as the chunks it was captured in (copied once, here). */
export function encodeEntry(header: EntryHeader, payload: Buffer | readonly Buffer[], version = VERSION): Buffer {
  return encodeEntryView(header, payload, version).bytes;
}

/**
 * Encodes an envelope and returns it with the entry it holds, as `decodeEntry` would read it back
 * (the header as stored JSON, the payload a view of the stored bytes), without checking again
 * what was just written.
 */
export function encodeEntryView(header: EntryHeader, payload: Buffer | readonly Buffer[], version = VERSION): { bytes: Buffer; entry: Entry } {
  const chunks = Buffer.isBuffer(payload) ? [payload] : payload;
  const text = JSON.stringify(header);
  const json = Buffer.from(text, 'utf8');
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = Buffer.allocUnsafe(PREFIX_BYTES + json.length + length + 4);
  MAGIC.copy(out, 0);
  out.writeUInt8(version, MAGIC.length);
  out.writeUInt32BE(json.length, MAGIC.length + 1);
  json.copy(out, PREFIX_BYTES);
  let offset = PREFIX_BYTES + json.length;
  for (const chunk of chunks) offset += chunk.copy(out, offset);
  const body = out.subarray(0, out.length - 4);
  out.writeUInt32BE(crc32(body), out.length - 4);
  const entry: Entry = { header: JSON.parse(text) as EntryHeader, payload: body.subarray(PREFIX_BYTES + json.length) };
  return { bytes: out, entry };
}

/** Decodes and verifies an envelope; returns a reason string instead of throwing when it is not one of ours. */
export function decodeEntry(bytes: Buffer): Entry | string {
  if (!Buffer.isBuffer(bytes)) return 'not bytes';
  if (bytes.length < PREFIX_BYTES + 4) return 'truncated';
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) return 'foreign value (bad magic)';
  const version = bytes.readUInt8(MAGIC.length);
  if (version !== VERSION && version !== NEWER_PAYLOAD_VERSION && version !== PATCHED_PAYLOAD_VERSION) return `unsupported entry version ${version}`;
  const body = bytes.subarray(0, bytes.length - 4);
  if (crc32(body) !== bytes.readUInt32BE(bytes.length - 4)) return 'checksum mismatch';
  const headerLength = bytes.readUInt32BE(MAGIC.length + 1);
  if (PREFIX_BYTES + headerLength > body.length) return 'truncated header';
  let header: EntryHeader;
  try {
    header = JSON.parse(body.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerLength)) as EntryHeader;
  } catch {
    return 'unreadable header';
  }
  if (header === null || typeof header !== 'object' || typeof header.storedAt !== 'number') return 'malformed header';
  return { header, payload: body.subarray(PREFIX_BYTES + headerLength) };
}

/** How many bytes of an envelope hold its header: what {@link peekHeader} needs to see. */
export const HEADER_PEEK_BYTES = 1024;

/**
 * The header of an envelope from its first bytes only, for tools that list a store without loading
 * values (the `larder` CLI reads 1 KiB of each). Not integrity-checked: the checksum covers the whole
 * value. Returns the header, the number of leading bytes needed when `prefix` is too short to hold it,
 * or a reason string when the bytes are not an envelope.
 */
export function peekHeader(prefix: Buffer): EntryHeader | number | string {
  if (prefix.length < PREFIX_BYTES) return 'truncated';
  if (!prefix.subarray(0, MAGIC.length).equals(MAGIC)) return 'foreign value (bad magic)';
  const version = prefix.readUInt8(MAGIC.length);
  if (version !== VERSION && version !== NEWER_PAYLOAD_VERSION) return `unsupported entry version ${version}`;
  const needed = PREFIX_BYTES + prefix.readUInt32BE(MAGIC.length + 1);
  if (prefix.length < needed) return needed;
  try {
    const header = JSON.parse(prefix.toString('utf8', PREFIX_BYTES, needed)) as EntryHeader;
    return header !== null && typeof header === 'object' && typeof header.storedAt === 'number' ? header : 'malformed header';
  } catch {
    return 'unreadable header';
  }
}
