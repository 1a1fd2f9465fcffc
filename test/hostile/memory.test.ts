/**
 * Invariant 4: memory is bounded by configuration, whatever requests arrive. Each structure keyed by
 * something a client chooses (a path, a query, a header name) is attacked with thousands of distinct
 * values; the resident set size is measured in a child process, and the per-structure bounds are
 * checked where they can be seen (stats rows, warnings, index sizes).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cacheData, createLarder } from '@larder/core';
import { KeyIndex } from '../../packages/core/src/store/key-index.js';
import { manualClock } from '../support/async.js';
import { arena, frameworks, get, tempDir } from './support.js';

const run = promisify(execFile);
const probe = fileURLToPath(new URL('./fixtures/memory-probe.ts', import.meta.url));

/** What a route may remember of recent keys (http/key.ts), and the routes the probe mounts. */
const RECENT_KEY_BYTES = 1024 * 1024;
const ROUTES = 3;
/** Heap and allocator noise between two measurements of the same process, whatever the requests. */
const NOISE = 16 * 1024 * 1024;

describe('resident memory under hostile requests (child process)', () => {
  it.each(['express', 'koa'])('stays within the configured bounds on %s: 4,000 junk paths, 4,000 distinct 15 KB queries, 4,000 distinct header names', async (kind) => {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', probe, kind, '4000'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), maxBuffer: 1024 * 1024 });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { growth: number; maxBytes: number; spaces: number; warnings: number; requests: number };
    // The store holds at most maxBytes; each route remembers at most RECENT_KEY_BYTES of keys.
    const bound = result.maxBytes + ROUTES * RECENT_KEY_BYTES + NOISE;
    expect(result.requests).toBe(12_000);
    expect(result.growth).toBeLessThan(bound);
    // One space per route and one per app-level mount, however many paths arrived.
    expect(result.spaces).toBe(3);
    // At most 32 warnings (and one saying so) per cached() middleware.
    expect(result.warnings).toBeLessThanOrEqual(2 * 33);
  }, 120_000);
});

for (const framework of frameworks) {
  describe(`per-request structures on ${framework.name}`, () => {
    const ring = arena(framework);

    it('gives every path under an app-level cached() one space', async () => {
      const { url } = await ring.start({ appLevelCached: ['5m'], routes: [{ path: '/real', handler: (io) => io.send('real') }] });
      for (let i = 0; i < 50; i++) await get(`${url}/junk-${i}`);
      await get(`${url}/real`);
      const names = Object.keys(ring.larder.stats());
      expect(names).toEqual(['GET /*']);
      // Control: the paths are still told apart in the key.
      expect((await get(`${url}/real`)).text).toBe('real');
    });

    it('prints at most 32 guard warnings per route (and one saying so), whatever header names clients send', async () => {
      const { url } = await ring.start({ routes: [{ path: '/echo', cached: ['5m'], handler: (io) => io.send(Object.keys(io.native.kind === 'express' ? io.native.req.headers : io.native.ctx.headers).join(',')) }] });
      for (let i = 0; i < 60; i++) await get(`${url}/echo`, { headers: { [`x-junk-${i}`]: '1' } });
      const guard = ring.warnings.filter((w) => w.includes('GET /echo') || w.includes('prints no more'));
      expect(guard.length).toBe(33);
      expect(guard.at(-1)).toMatch(/prints no more/);
    });
  });
}

describe('key indexes', () => {
  const dir = tempDir('larder-index-');

  it('shrink when entries of a shared store expire, without being read again', async () => {
    const clock = manualClock();
    // (A generous storeTimeout: a first read of a new file on a busy machine must not be a timeout here.)
    const larder = createLarder({ store: `sqlite://${dir()}/expiry.sqlite`, clock, storeTimeout: '10s' });
    const square = cacheData(async function square(n: number) { return n * n; }, { ttl: '1m', larder });
    const seen: string[] = [];
    larder.on('error', (e) => seen.push(String(e.reason) + String(e.error)));
    larder.on('evict', (e) => seen.push(String(e.reason)));
    for (let n = 0; n < 40; n++) await square(n);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(larder.stats().square!.entries).toBe(40);
    clock.advance(61_000);
    expect(larder.stats().square!.entries).toBe(0);
    await larder.close();
  });

  it('forget an entry another process dropped when a read finds nothing', async () => {
    const file = `sqlite://${dir()}/dropped.sqlite`;
    const larder = createLarder({ store: file, storeTimeout: '10s' });
    const other = createLarder({ store: file, storeTimeout: '10s' });
    const double = cacheData(async function double(n: number) { return 2 * n; }, { larder });
    for (let n = 0; n < 10; n++) await double(n);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(larder.stats().double!.entries).toBe(10);
    await other.clear();
    for (let n = 0; n < 10; n++) await double(n);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The ten old keys were forgotten on their misses; the ten rewrites are tracked again.
    expect(larder.stats().double!.entries).toBe(10);
    await Promise.all([larder.close(), other.close()]);
  });

  it('are bounded by maxEntries, else by their track limit, whatever is written', () => {
    const bounded = new KeyIndex(100, 10_000);
    const tracked = new KeyIndex(Infinity, 1_000);
    for (let i = 0; i < 5_000; i++) {
      bounded.add(`k${i}`, 10);
      tracked.add(`k${i}`, 10);
    }
    expect([bounded.size, tracked.size]).toEqual([100, 1_000]);
    // Only maxEntries evicts from the store; the track limit only forgets.
    expect(new KeyIndex(Infinity, 1).add('a', 1).concat(new KeyIndex(Infinity, 1).add('b', 1))).toEqual([]);
  });

  it('prune expired keys a few per write', () => {
    const index = new KeyIndex(Infinity);
    for (let i = 0; i < 100; i++) index.add(`old${i}`, 1, 1_000, 0);
    for (let i = 0; i < 100; i++) index.add(`new${i}`, 1, Infinity, 2_000);
    expect(index.size).toBeLessThan(200);
    index.prune(2_000);
    expect(index.size).toBe(100);
  });
});
