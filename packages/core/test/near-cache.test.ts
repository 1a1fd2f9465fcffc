import { describe, expect, it } from 'vitest';
import { createLarder } from '../src/index.js';
import { encodeEntryView } from '../src/entry.js';
import { NearCache } from '../src/near-cache.js';
import { fingerprint } from '../src/store.js';

function envelope(size: number, storedAt = 1_700_000_000_000) {
  return encodeEntryView({ kind: 'data', storedAt, freshUntil: null, staleUntil: null, tags: {} }, Buffer.alloc(size, 7));
}

describe('a near cache', () => {
  it('keeps copies up to its byte bound, dropping the least recently used first', () => {
    const near = new NearCache(1000);
    const [a, b, c] = [envelope(300), envelope(300), envelope(300)];
    near.set('a', a.bytes, a.entry);
    near.set('b', b.bytes, b.entry);
    near.get('a');
    near.set('c', c.bytes, c.entry);
    expect([near.get('a'), near.get('b'), near.get('c')].map((copy) => copy !== undefined)).toEqual([true, false, true]);
    expect(near.bytes).toBe(a.bytes.length + c.bytes.length);
    expect(near.bytes).toBeLessThanOrEqual(1000);
  });

  it('does not keep an entry larger than its whole bound, and keeps nothing at 0', () => {
    const big = envelope(2000);
    const near = new NearCache(1000);
    near.set('big', big.bytes, big.entry);
    expect(near.size).toBe(0);
    const off = new NearCache(0);
    const small = envelope(10);
    off.set('small', small.bytes, small.entry);
    expect(off.size).toBe(0);
  });

  it('counts a replaced copy once', () => {
    const near = new NearCache(10_000);
    const [first, second] = [envelope(100), envelope(500)];
    near.set('k', first.bytes, first.entry);
    near.set('k', second.bytes, second.entry);
    expect([near.size, near.bytes]).toEqual([1, second.bytes.length]);
    near.delete('k');
    expect([near.size, near.bytes]).toEqual([0, 0]);
  });

  it('fingerprints an entry by its header (the time of the write) and its checksum', () => {
    const [one, sameSize, later] = [envelope(100), envelope(100), envelope(100, 1_700_000_000_001)];
    expect(fingerprint(one.bytes)).toEqual(fingerprint(sameSize.bytes));
    expect(fingerprint(one.bytes)).not.toEqual(fingerprint(later.bytes));
    const changed = encodeEntryView(one.entry.header, Buffer.alloc(100, 8)).bytes;
    expect(fingerprint(one.bytes)).not.toEqual(fingerprint(changed));
    expect(near(one.bytes).fingerprint).toEqual(Buffer.concat([one.bytes.subarray(0, 64), one.bytes.subarray(-4)]));

    function near(bytes: Buffer) {
      const cache = new NearCache(10_000);
      cache.set('k', bytes, one.entry);
      return cache.get('k')!;
    }
  });
});

describe('createLarder({ nearCacheBytes })', () => {
  it.each([-1, 1.5, Number.NaN, '32mb'])('rejects %s, naming the option', (value) => {
    expect(() => createLarder({ nearCacheBytes: value as number })).toThrow(/Invalid option 'nearCacheBytes'/);
  });

  it('accepts 0 (no near cache) and whole numbers of bytes', async () => {
    for (const nearCacheBytes of [0, 1024]) await createLarder({ nearCacheBytes }).close();
  });
});
