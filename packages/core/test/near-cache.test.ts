import { describe, expect, it } from 'vitest';
import { cacheData, createLarder, type LarderEvent } from '../src/index.js';
import type { Store } from '../src/adapter.js';
import { encodeEntryView } from '../src/store/entry.js';
import { NearCache } from '../src/store/near-cache.js';
import { fingerprint } from '../src/store/store.js';

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
    const length = Buffer.alloc(4);
    length.writeUInt32BE(one.bytes.length);
    expect(near(one.bytes).fingerprint).toEqual(Buffer.concat([one.bytes.subarray(0, 64), one.bytes.subarray(-4), length]));

    function near(bytes: Buffer) {
      const cache = new NearCache(10_000);
      cache.set('k', bytes, one.entry);
      return cache.get('k')!;
    }
  });

  it('copies a view into a larger buffer, so that its bound counts what stays in memory', () => {
    const { bytes, entry } = envelope(300);
    const chunk = Buffer.alloc(64 * 1024);
    bytes.copy(chunk, 1000);
    const view = chunk.subarray(1000, 1000 + bytes.length);
    const viewEntry = { header: entry.header, payload: view.subarray(bytes.length - 4 - 300, bytes.length - 4) };
    const kept = new NearCache(10_000).set('k', view, viewEntry)!;
    expect(kept.bytes.buffer.byteLength).toBe(bytes.length);
    expect(kept.bytes).toEqual(bytes);
    expect(kept.entry.payload).toEqual(entry.payload);
    expect(kept.entry.payload.buffer).toBe(kept.bytes.buffer);
  });
});

/** A shared store in a Map, with a hook that runs in the middle of a peek: after the tag versions are read, before the entry is. */
function sharedMapStore() {
  const values = new Map<string, Buffer>();
  let afterPeek: (() => Promise<void>) | undefined;
  const read = (key: string) => values.get(key);
  const store: Store = {
    kind: 'shared-map',
    get: async (key) => read(key),
    getMany: async (keys) => keys.map(read),
    async peekMany([first, ...rest]) {
      const tags = rest.map(read);
      const hook = afterPeek;
      afterPeek = undefined;
      await hook?.();
      const value = read(first!);
      return [value && fingerprint(value), ...tags];
    },
    set: async (key, value) => void values.set(key, Buffer.from(value)),
    delete: async (key) => values.delete(key),
    clear: async () => values.clear(),
    close: async () => {},
  };
  return { store, values, onNextPeek: (hook: () => Promise<void>) => (afterPeek = hook) };
}

describe('a read through the near cache', () => {
  it('judges an entry rewritten during the read by the tag versions of that rewrite', async () => {
    const { store, onNextPeek } = sharedMapStore();
    const [first, second] = [createLarder({ store }), createLarder({ store })];
    const runs: string[] = [];
    const profileIn = (larder: typeof first, by: string) =>
      cacheData(async function profile(id: number) {
        runs.push(by);
        return { id, by };
      }, { larder });
    const [inFirst, inSecond] = [profileIn(first, 'first'), profileIn(second, 'second')];
    const written = new Promise((resolve) => first.once('set', resolve));
    await inFirst(1);
    await written;

    // In the middle of the peek, another instance clears the function (a new tag version) and writes
    // a new entry stamped with it: the peek answers the old versions and a fingerprint that no longer
    // matches. Judged by those old versions, the new entry would read as invalidated and be deleted.
    onNextPeek(async () => {
      await inSecond.clear();
      const rewritten = new Promise((resolve) => second.once('set', resolve));
      await inSecond(1);
      await rewritten;
    });
    expect(await inFirst(1)).toEqual({ id: 1, by: 'second' });
    expect(runs).toEqual(['first', 'second']);
    expect(await inSecond(1)).toEqual({ id: 1, by: 'second' });
    expect(runs).toEqual(['first', 'second']);
    await Promise.all([first.close(), second.close()]);
  });
});

/**
 * A shared store in a Map whose "server" pushes invalidations as Redis client tracking does: for every key
 * it has read for this process, once anything changes it. `reads` counts the round trips; `duringRead` runs
 * after a read has looked at the values and before its answer is handled (a push in the same socket chunk).
 */
function trackingMapStore() {
  const values = new Map<string, Buffer>();
  const watched = new Set<string>();
  const listeners: Array<(key: string | null) => void> = [];
  let duringRead: (() => void) | undefined;
  const counter = { reads: 0 };
  const push = (key: string | null) => listeners.forEach((listener) => listener(key));
  const answer = async (keys: readonly string[], first: (value: Buffer | undefined) => Buffer | undefined) => {
    counter.reads++;
    keys.forEach((key) => watched.add(key));
    const found = keys.map((key) => values.get(key));
    const hook = duringRead;
    duringRead = undefined;
    hook?.();
    return [first(found[0]), ...found.slice(1)];
  };
  const change = (key: string) => {
    // A write ends the watch, for every process (NOLOOP: the writer itself is not told).
    if (watched.delete(key)) push(key);
  };
  const store: Store = {
    kind: 'tracking-map',
    tracking: { active: true, onInvalidate: (listener) => void listeners.push(listener) },
    get: async (key) => values.get(key),
    getMany: (keys) => answer(keys, (value) => value),
    peekMany: (keys) => answer(keys, (value) => value && fingerprint(value)),
    set: async (key, value) => void values.set(key, Buffer.from(value)),
    delete: async (key) => values.delete(key),
    clear: async () => values.clear(),
    close: async () => {},
  };
  /** Another process writes `key`: the value changes and the watchers are told. */
  const writeElsewhere = (key: string, value: Buffer) => {
    values.set(key, value);
    change(key);
  };
  return { store, values, counter, push, writeElsewhere, onNextRead: (hook: () => void) => (duringRead = hook) };
}

describe('near copies the store\'s server watches (client tracking)', () => {
  /** A cached function on a tracking store, primed: one miss, and one hit that checks the copy it wrote. */
  async function primed() {
    const shared = trackingMapStore();
    const larder = createLarder({ store: shared.store, lease: false });
    let runs = 0;
    const profile = cacheData(async function profile(id: number) {
      return { id, run: ++runs };
    }, { larder });
    const written = new Promise<LarderEvent>((resolve) => larder.once('set', resolve));
    await profile(1);
    const { key } = await written;
    await profile(1);
    return { ...shared, larder, profile, key: key!, runs: () => runs };
  }

  it('serves hits without a round trip until the server says the entry changed', async () => {
    const { profile, counter, values, key, writeElsewhere } = await primed();
    const before = counter.reads;
    for (let i = 0; i < 10; i++) expect(await profile(1)).toEqual({ id: 1, run: 1 });
    expect(counter.reads).toBe(before);

    writeElsewhere(key, Buffer.from('not an envelope'));
    values.delete(key);
    expect(await profile(1)).toEqual({ id: 1, run: 2 });
    expect(counter.reads).toBeGreaterThan(before);
  });

  it('does not keep trusting an answer whose key was invalidated while it was on its way', async () => {
    const { profile, counter, key, push, onNextRead, larder } = await primed();
    push(key);
    // The answer and the push that makes it stale arrive together: the answer is used once, not kept.
    onNextRead(() => push(key));
    await profile(1);
    const after = counter.reads;
    await profile(1);
    expect(counter.reads).toBe(after + 1);
    await larder.close();
  });

  it('drops every copy and tag version when the server says everything may have changed (a disconnect, a flush)', async () => {
    const { profile, counter, push } = await primed();
    const before = counter.reads;
    push(null);
    await profile(1);
    expect(counter.reads).toBe(before + 1);
  });

  it('stops trusting a tag version this process moved, without waiting for a push', async () => {
    // The server does not tell a connection about its own writes (NOLOOP).
    const { store } = trackingMapStore();
    const larder = createLarder({ store });
    const space = larder.space('near-tracked', 'nearTracked', 'http');
    const key = larder.entryKey(space, 'page');
    async function page(): Promise<string> {
      const read = await larder.read(space, key, ['team:red']);
      if (read.state === 'fresh') return 'hit';
      const written = new Promise((resolve) => larder.once('set', resolve));
      larder.write(space, key, Buffer.from('page'), { freshForMs: Infinity, staleForMs: 0 }, read.tagVersions);
      await written;
      return 'computed';
    }
    expect([await page(), await page(), await page()]).toEqual(['computed', 'hit', 'hit']);
    await larder.invalidate('team:red');
    expect(await page()).toBe('computed');
    await larder.close();
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
