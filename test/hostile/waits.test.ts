/**
 * Invariant 3: no request waits unboundedly because of the cache, and nothing that throws leaves a
 * key locked. The attacker is a client that never reads, a refresh whose handler throws with no
 * error handler to end it, a store that throws synchronously, listeners that throw or reject, and a
 * leader whose handler never finishes.
 */
import { createServer } from 'node:http';
import express from 'express';
import express4 from 'express4';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cached } from '@larder/express';
import { createLarder, type Larder, type LarderEvent } from '@larder/core';
import { RouteCache } from '@larder/core/adapter';
import { MemoryStore } from '../../packages/core/src/store/backends/memory-store.js';
import { closeServer, listen } from '../http/harness.js';
import { manualClock } from '../support/async.js';
import { takeWarnings } from '../support/quiet.js';
import { arena, deferred, frameworks, get, settles, stalledClient } from './support.js';

const BIG = 24 * 1024 * 1024;

for (const framework of frameworks) {
  describe(`waits on ${framework.name}`, () => {
    const ring = arena(framework);

    it('answers the requests waiting for a cold 24 MB miss once its body is complete, not once its slow client read it', async () => {
      const followers = 5;
      const first = deferred();
      const all = deferred();
      let arrivals = 0;
      let runs = 0;
      const { url } = await ring.start({ routes: [{
        path: '/big',
        cached: [{ ttl: '5m', maxBodyBytes: 32 * 1024 * 1024, key: () => { if (++arrivals === 1) first.resolve(); if (arrivals === followers + 1) all.resolve(); return 'same'; } }],
        handler: async (io) => { runs++; await all.promise; io.type('application/octet-stream'); io.send(Buffer.alloc(BIG, 7)); },
      }] });
      const slow = stalledClient(url, '/big');
      try {
        await first.promise;
        const bodies = await settles(Promise.all(Array.from({ length: followers }, () => fetch(`${url}/big`).then(async (r) => (await r.arrayBuffer()).byteLength))), 15_000, 'the waiting requests');
        expect(bodies).toEqual(Array.from({ length: followers }, () => BIG));
        expect(runs).toBe(1);
        // Control: the leader's client really is stuck, so waiting for it to read would never end.
        expect(slow.received()).toBeLessThan(BIG);
      } finally {
        slow.socket.destroy();
      }
    });

    it('never leaves a key locked when the store throws synchronously from set()', async () => {
      const inner = new MemoryStore();
      let sets = 0;
      ring.use({ store: { kind: 'throwing', getSync: (key: string) => inner.getSync(key), get: (key: string) => inner.get(key), getMany: (keys: readonly string[]) => inner.getMany(keys), set: () => { sets++; throw new Error('set exploded'); }, delete: (key: string) => inner.delete(key), clear: () => inner.clear(), close: () => inner.close() } });
      let n = 0;
      const { url } = await ring.start({ routes: [{ path: '/s', cached: ['5m'], handler: (io) => io.send(`n=${++n}`) }] });
      const answers = await settles(Promise.all(Array.from({ length: 5 }, () => get(`${url}/s`))), 5_000, 'requests after a throwing set()');
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect((await settles(get(`${url}/s`), 5_000, 'the next request')).status).toBe(200);
      expect(sets).toBeGreaterThan(0); // control: the store did throw
      expect(ring.events.some(([name, e]) => name === 'error' && e.reason === 'store-error')).toBe(true);
    });

    it('never lets a throwing or rejecting listener lock a key or fail a request', async () => {
      const larder = ring.larder;
      for (const name of ['miss', 'bypass', 'set', 'hit'] as const) larder.on(name, () => { throw new Error(`${name} listener exploded`); });
      larder.on('stale', async () => { throw new Error('async listener rejected'); });
      let n = 0;
      const { url } = await ring.start({ routes: [
        { path: '/ok', cached: [{ ttl: '5m', staleWhileRevalidate: '1h' }], handler: (io) => io.send(`n=${++n}`) },
        { path: '/cookie', cached: ['5m'], handler: (io) => { io.set('Set-Cookie', 'a=1'); io.send('unstorable'); } },
      ] });
      const first = await Promise.all(Array.from({ length: 4 }, () => get(`${url}/ok`)));
      expect(first.every((a) => a.status === 200)).toBe(true);
      expect((await settles(get(`${url}/ok`), 5_000, 'a hit after throwing listeners')).cache).toBe('HIT');
      expect((await settles(Promise.all([get(`${url}/cookie`), get(`${url}/cookie`)]), 5_000, 'unstorable requests')).map((a) => a.status)).toEqual([200, 200]);
      const failures = ring.events.filter(([name, e]) => name === 'error' && e.reason === 'listener-error');
      expect(failures.length).toBeGreaterThan(0);
    });
  });
}

describe('a staleWhileRevalidate refresh whose handler throws, with no error handler (Express)', () => {
  for (const [name, factory] of [['Express 5', express], ['Express 4', express4 as unknown as typeof express]] as const) {
    it(`never leaves the URL waiting for it after the stale window (${name})`, async () => {
      const clock = manualClock();
      const larder = createLarder({ clock });
      const threw = deferred();
      let runs = 0;
      const app = factory();
      app.get('/swr', cached({ ttl: '1m', staleWhileRevalidate: '1m', larder }), (_req, res) => {
        runs++;
        if (runs === 2) {
          threw.resolve();
          throw new Error('refresh failed');
        }
        res.send(`v${runs}`);
      });
      // No error handler: the refresh's error goes to the final callback.
      const server = createServer(app);
      const url = await listen(server);
      try {
        expect((await get(`${url}/swr`)).text).toBe('v1');
        clock.advance(90_000);
        expect((await get(`${url}/swr`)).cache).toBe('STALE');
        await threw.promise; // control: the refresh ran and threw
        clock.advance(60_000);
        const after = await settles(get(`${url}/swr`), 5_000, 'the request after the stale window');
        expect([after.status, after.text]).toEqual([200, 'v3']);
      } finally {
        takeWarnings();
        await closeServer(server);
        await larder.close();
      }
    });
  }
});

describe('a leader whose handler never finishes', () => {
  let larder: Larder;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    larder = createLarder();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await larder.close();
  });

  const facts = { method: 'GET', host: 'a.test', url: '/hang', routeId: '/hang', codeHash: '', params: {}, query: {}, body: undefined, headers: {}, request: {} };

  it('is waited for at most a lease (10 s); then one waiter leads and the others follow it', async () => {
    const cache = new RouteCache({ ttl: '5m', larder }, undefined);
    const leader = await cache.decide(facts);
    expect(leader.kind).toBe('miss'); // and it never reports anything: its handler hangs
    const waiting = [cache.decide(facts), cache.decide(facts), cache.decide(facts)] as Array<Promise<{ kind: string; capture?: { head(s: number, h: []): unknown; chunk(b: Buffer): void; complete(): void } }>>;
    let settled = 0;
    for (const wait of waiting) void wait.then(() => settled++);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(settled).toBe(0); // control: they do wait for the leader while it may still answer
    await vi.advanceTimersByTimeAsync(1);
    const [successor] = await Promise.all([waiting[0]!]);
    expect(successor.kind).toBe('miss');
    successor.capture!.head(200, []);
    successor.capture!.chunk(Buffer.from('late but here'));
    successor.capture!.complete();
    const others = await Promise.all(waiting.slice(1));
    expect(others.map((d) => d.kind)).toEqual(['replay', 'replay']);
  });
});

describe('background work that fails', () => {
  it('reports a throwing background refresh of cacheData as an error event, with no unhandled rejection', async () => {
    const { cacheData } = await import('@larder/core');
    const clock = manualClock();
    const larder = createLarder({ clock });
    const errors: LarderEvent[] = [];
    larder.on('error', (e: LarderEvent) => errors.push(e));
    let calls = 0;
    const failed = deferred();
    const load = cacheData(async function load(id: number) {
      calls++;
      if (calls > 1) {
        failed.resolve();
        throw new Error('refresh failed');
      }
      return { id };
    }, { ttl: '1m', staleWhileRevalidate: '1h', larder });
    expect(await load(1)).toEqual({ id: 1 });
    clock.advance(120_000);
    expect(await load(1)).toEqual({ id: 1 }); // stale, refreshing in the background
    await failed.promise;
    await vi.waitFor(() => expect(errors.some((e) => e.reason === 'compute-error')).toBe(true));
    expect(await load(1)).toEqual({ id: 1 });
    await larder.close();
  });
});
