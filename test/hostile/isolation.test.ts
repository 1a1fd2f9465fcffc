/**
 * Isolation: one failure does not spread. A throwing onRelease/dispose does not keep close() or
 * clear() from releasing the rest; a clear() during a computation does not let the pre-clear value
 * be stored afterwards; a key a foreign writer turned into a Redis list is repaired, not stuck.
 * Invariants 7 and 8: no partial or conditional status is storable, and `vary` is announced in Vary.
 */
import { createClient } from '@keyv/redis';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { cacheData, cacheResource, createLarder, type LarderEvent, type LarderOptions } from '@larder/core';
import { eventually } from '../support/async.js';
import { arena, deferred, frameworks, get, marker, redisServer, tempDir } from './support.js';

describe('close() and clear() with a throwing onRelease or dispose', () => {
  it('releases every other resource and reports the failures as error events', async () => {
    const larder = createLarder();
    const errors: LarderEvent[] = [];
    larder.on('error', (e: LarderEvent) => errors.push(e));
    const released: string[] = [];
    const exploding = cacheResource(async function exploding(id: string) { return { id }; }, { larder, onRelease: () => { throw new Error('onRelease exploded'); } });
    const clean = cacheResource(async function clean(id: string) { return { id }; }, { larder, onRelease: (value) => void released.push(value.id) });
    larder.resources.register('pool', () => ({ id: 'pool' }), { dispose: () => { throw new Error('dispose exploded'); } });
    larder.resources.register('client', () => ({ id: 'client' }), { dispose: (value) => void released.push(value.id) });
    await Promise.all([exploding('a'), exploding('b'), clean('c'), clean('d'), larder.resources.get('pool'), larder.resources.get('client')]);
    await larder.close();
    expect(released.sort()).toEqual(['c', 'client', 'd']);
    expect(errors.map((e) => String((e.error as Error).message ?? e.error))).toEqual(expect.arrayContaining([expect.stringMatching(/onRelease exploded|failed to release/), expect.stringMatching(/dispose exploded/)]));
  });

  it('releases every value on fn.clear() and then rejects with the failure', async () => {
    const larder = createLarder();
    const released: string[] = [];
    const conn = cacheResource(async function conn(id: string) { return { id }; }, { larder, onRelease: (value) => { if (value.id === 'bad') throw new Error('bad release'); released.push(value.id); } });
    await Promise.all([conn('x'), conn('bad'), conn('y')]);
    await expect(conn.clear()).rejects.toThrow('bad release');
    expect(released.sort()).toEqual(['x', 'y']);
    await larder.close();
  });
});

describe('clear() while a computation is in flight', () => {
  const dir = tempDir('larder-clear-');
  const redis = redisServer();
  let files = 0;
  const stores: Array<[string, () => LarderOptions | undefined]> = [
    ['memory', () => ({})],
    ['sqlite', () => ({ store: `sqlite://${dir()}/clear-${++files}.sqlite`, storeTimeout: '5s' })],
    ['redis', () => (redis() ? { store: redis()!.url, namespace: marker('clear'), storeTimeout: '5s' } : undefined)],
  ];

  it.each(stores)('does not let the pre-clear value be stored afterwards (%s)', async (_name, options) => {
    const settings = options();
    if (!settings) return;
    const larder = createLarder(settings);
    const gate = deferred();
    let version = 'before';
    let calls = 0;
    let sets = 0;
    larder.on('set', () => sets++);
    const read = cacheData(async function read(id: number) {
      calls++;
      const seen = version;
      if (calls === 1) await gate.promise;
      return `${seen}:${id}`;
    }, { larder });
    const inFlight = read(1);
    await eventually(() => expect(calls).toBe(1));
    await larder.clear();
    version = 'after';
    gate.resolve();
    expect(await inFlight).toBe('before:1'); // its caller asked before the clear
    await eventually(() => expect(sets).toBe(1)); // the pre-clear value's write landed
    expect(await read(1)).toBe('after:1');
    expect(calls).toBe(2);
    await eventually(() => expect(sets).toBe(2));
    // Control: without a clear, the stored value is served.
    expect(await read(1)).toBe('after:1');
    expect(calls).toBe(2);
    await larder.close();
  });
});

describe('an entry key a foreign writer turned into a Redis list', () => {
  const redis = redisServer();

  it.each([['with', 32 * 1024 * 1024], ['without', 0]])('is repaired %s a near cache', async (_label, nearCacheBytes) => {
    const server = redis();
    if (!server) return;
    const namespace = marker('wrongtype');
    const larder = createLarder({ store: server.url, namespace, nearCacheBytes, storeTimeout: '2s' });
    larder.on('error', () => {});
    let calls = 0;
    const load = cacheData(async function load(id: number) { return { id, call: ++calls }; }, { larder });
    await load(1);
    await eventually(async () => expect((await load(1)).call).toBe(1));
    const client = createClient({ url: server.url });
    await client.connect();
    try {
      const [key] = await client.keys(`${namespace}::e:*`);
      await client.del(key!);
      await client.rPush(key!, ['foreign', 'list']);
      expect(await client.type(key!)).toBe('list'); // control: the entry really is a list now
      await load(1);
      await eventually(async () => {
        await load(1);
        expect(await client.type(key!)).toBe('string');
      });
      const before = calls;
      expect((await load(1)).call).toBe(before); // served from the repaired entry
    } finally {
      await client.quit();
      await larder.close();
    }
  });
});

for (const framework of frameworks) {
  describe(`statuses and Vary on ${framework.name}`, () => {
    const ring = arena(framework);

    it.each([[206], [304]])('refuses statuses: [200, %i] at startup, naming the option', (status) => {
      expect(() => framework.cached({ statuses: [200, status] })).toThrow(/Invalid option 'statuses'.*cached\(\{ statuses: \[200, 404\] \}\)/s);
    });

    it('announces the headers named in `vary` on misses, hits, 304s and bypasses, merged with the handler’s own', async () => {
      const { url } = await ring.start({ routes: [{ path: '/v', cached: [{ ttl: '5m', vary: ['accept-language'] }], handler: (io) => { io.set('Vary', 'X-Theme'); io.send(`lang ${io.header('accept-language') ?? ''}`); } }] });
      const miss = await get(`${url}/v`, { headers: { 'Accept-Language': 'fr' } });
      const hit = await get(`${url}/v`, { headers: { 'Accept-Language': 'fr' } });
      // (supertest: fetch adds Cache-Control: no-cache to a conditional request, which rules out a 304.)
      const conditionalResponse = await request(url).get('/v').set('Accept-Language', 'fr').set('If-None-Match', hit.headers.get('etag')!);
      const conditional = { status: conditionalResponse.status, cache: conditionalResponse.headers['x-cache'], headers: new Headers(conditionalResponse.headers as Record<string, string>) };
      const bypass = await get(`${url}/v`, { headers: { 'Accept-Language': 'fr', Authorization: 'Bearer x' } });
      for (const response of [miss, hit, conditional, bypass]) {
        const listed = (response.headers.get('vary') ?? '').toLowerCase().split(/\s*,\s*/);
        expect(listed).toContain('accept-language');
      }
      expect([miss.cache, hit.cache, conditional.status, conditional.cache, bypass.cache]).toEqual(['MISS', 'HIT', 304, 'HIT', 'BYPASS']);
      for (const response of [miss, hit, conditional]) expect(response.headers.get('vary')!.toLowerCase()).toContain('x-theme');
    });

    it('control: without `vary`, no Vary is added', async () => {
      const { url } = await ring.start({ routes: [{ path: '/n', cached: ['5m'], handler: (io) => io.send('plain') }] });
      expect((await get(`${url}/n`)).headers.get('vary')).toBeNull();
    });
  });
}
