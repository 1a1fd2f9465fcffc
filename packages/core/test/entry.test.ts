import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry, encodeEntryView, type EntryHeader } from '../src/store/entry.js';

const header: EntryHeader = { kind: 'http', storedAt: 1, freshUntil: 2, staleUntil: null, tags: { users: 'ab' }, meta: { status: 200, headers: [['ETag', '"x"']] } };

describe('the entry envelope', () => {
  it('round-trips a payload given in chunks', () => {
    const bytes = encodeEntry(header, [Buffer.from('hello, '), Buffer.from([0, 255]), Buffer.from('world')]);
    const entry = decodeEntry(bytes);
    expect(entry).toEqual({ header, payload: Buffer.concat([Buffer.from('hello, '), Buffer.from([0, 255]), Buffer.from('world')]) });
  });

  it('hands back, with the bytes, exactly the entry decodeEntry reads from them', () => {
    const { bytes, entry } = encodeEntryView(header, [Buffer.from('a'), Buffer.from('bc')]);
    expect(entry).toEqual(decodeEntry(bytes));
    expect(entry.payload.buffer).toBe(bytes.buffer);
    expect(entry.header).not.toBe(header);
  });

  it('rejects a flipped byte', () => {
    const bytes = encodeEntry(header, Buffer.from('payload'));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 6) ^ 1, bytes.length - 6);
    expect(decodeEntry(bytes)).toBe('checksum mismatch');
  });
});
