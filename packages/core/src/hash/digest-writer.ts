import { createHash, hash as hashOnce, type Hash } from 'node:crypto';

// One byte per type. These values are part of every persisted key: never renumber them, only add.
export const Tag = {
  VALUE: 0x01, ARGUMENTS: 0x02,
  UNDEFINED: 0x10, NULL: 0x11, FALSE: 0x12, TRUE: 0x13, NUMBER: 0x14, NAN: 0x15, BIGINT: 0x16,
  STRING: 0x17, STRING_UTF16: 0x18,
  ARRAY: 0x20, HOLE: 0x21, OBJECT: 0x22, MAP: 0x23, MAP_STRING_KEYS: 0x24, SET: 0x25, SET_STRINGS: 0x26,
  DATE: 0x27, INVALID_DATE: 0x28, REGEXP: 0x29, URL: 0x2a, URL_SEARCH_PARAMS: 0x2b, ERROR: 0x2c,
  ARRAY_BUFFER: 0x30, SHARED_ARRAY_BUFFER: 0x31, DATA_VIEW: 0x32, BUFFER: 0x33, INT8: 0x34, UINT8: 0x35,
  UINT8_CLAMPED: 0x36, INT16: 0x37, UINT16: 0x38, INT32: 0x39, UINT32: 0x3a, FLOAT32: 0x3b, FLOAT64: 0x3c,
  BIGINT64: 0x3d, BIGUINT64: 0x3e,
  BACK_REFERENCE: 0x40, HASH_FUNC: 0x41, HASH_KEY: 0x42, RESOURCE: 0x43,
  // After a value's content: its own properties that content leaves out (symbol keys, an array's named properties).
  EXTRAS: 0x44,
} as const;
export const FORMAT_VERSION = 1;

const SCRATCH_BYTES = 8192;
/** Map/Set entries are usually small; deeply nested ones each hold a scratch buffer while open. */
const ENTRY_SCRATCH_BYTES = 1024;
/** Binary data longer than this is fed to the hash in place instead of being copied into the scratch buffer. */
const COPY_LIMIT = 1024;
const EMPTY = new Uint8Array(0);
/** A number's little-endian bytes are read through this pair (on big-endian machines writeDoubleLE is used). */
const DOUBLE = new Float64Array(1);
const DOUBLE_BYTES = new Uint8Array(DOUBLE.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Scratch buffers of Map/Set entry digests, reused. */
const entryScratchPool: Buffer[] = [];

/**
 * Turns bytes into a SHA-256 digest: small writes go to a scratch buffer hashed in one shot when everything fits
 * (most keys); otherwise the scratch buffer is flushed into one incremental hash, and large data is fed in place.
 * Map/Set entries are digested on their own, nested inside the digest that will contain them.
 */
export class DigestWriter {
  private buf: Buffer = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  private pos = 0;
  private hash: Hash | undefined;
  /** Output state (buffer, position, hash) of the digests that wait while a Map/Set entry digest is open. */
  private readonly outer: unknown[] = [];

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
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = Tag.NUMBER;
    if (!LITTLE_ENDIAN) {
      this.pos = buf.writeDoubleLE(value, pos + 1);
      return;
    }
    // The bytes of a Float64Array element, copied by hand: cheaper than writeDoubleLE's checks on every number.
    DOUBLE[0] = value;
    buf[pos + 1] = DOUBLE_BYTES[0]!;
    buf[pos + 2] = DOUBLE_BYTES[1]!;
    buf[pos + 3] = DOUBLE_BYTES[2]!;
    buf[pos + 4] = DOUBLE_BYTES[3]!;
    buf[pos + 5] = DOUBLE_BYTES[4]!;
    buf[pos + 6] = DOUBLE_BYTES[5]!;
    buf[pos + 7] = DOUBLE_BYTES[6]!;
    buf[pos + 8] = DOUBLE_BYTES[7]!;
    this.pos = pos + 9;
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

  /** Starts an entry digest in a scratch buffer of its own; the outer output waits on `outer`. */
  openDigest(): void {
    this.outer.push(this.buf, this.pos, this.hash);
    this.buf = entryScratchPool.pop() ?? Buffer.allocUnsafeSlow(ENTRY_SCRATCH_BYTES);
    this.pos = 0;
    this.hash = undefined;
  }

  closeDigest(): string {
    const digest = this.finish();
    if (entryScratchPool.length < 64) entryScratchPool.push(this.buf);
    this.hash = this.outer.pop() as Hash | undefined;
    this.pos = this.outer.pop() as number;
    this.buf = this.outer.pop() as Buffer;
    return digest;
  }

  /** Writes a Map's or a Set's entry digests, sorted so that they depend only on the multiset of entries. */
  entryDigests(tag: number, digests: string[]): void {
    digests.sort();
    this.tag(tag);
    this.u32(digests.length);
    for (const digest of digests) {
      this.reserve(32);
      this.pos += this.buf.write(digest, this.pos, 'hex');
    }
  }

  /** Empties the output, also after a throw left entry digests open, and goes back to the outermost scratch buffer. */
  protected resetOutput(): void {
    if (this.outer.length > 0) (this.buf = this.outer[0] as Buffer), (this.outer.length = 0);
    this.pos = 0;
    this.hash = undefined;
  }

  private longString(value: string): void {
    const encoding = isWellFormed(value) ? 'utf8' : 'utf16le';
    this.tag(encoding === 'utf8' ? Tag.STRING : Tag.STRING_UTF16);
    this.u32(Buffer.byteLength(value, encoding));
    this.flush();
    this.hashObject().update(value, encoding);
  }

  private reserve(bytes: number): void {
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

/** Little-endian, like Buffer#writeUInt32LE without its argument checks (lengths here are known to fit). */
function writeU32(buf: Buffer, pos: number, value: number): number {
  buf[pos] = value;
  buf[pos + 1] = value >>> 8;
  buf[pos + 2] = value >>> 16;
  buf[pos + 3] = value >>> 24;
  return pos + 4;
}

/** `String.prototype.isWellFormed` (Node 20+), missing from the ES2023 lib typings. */
function isWellFormed(value: string): boolean {
  return (value as string & { isWellFormed(): boolean }).isWellFormed();
}
