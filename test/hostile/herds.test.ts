/**
 * Invariant 5: concurrent identical misses run the handler once — on every store, when the store is
 * slow, down or frozen, and when a HEAD arrives first. Concurrency is proven by construction: the
 * handler waits until every request has reached `cached()` (counted in `key()`), so all of them are
 * in flight at once; a cache that serialized them would hang the test instead.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/core/src/store/backends/memory-store.js';
import type { LarderOptions } from '@larder/core';
import type { Framework } from '../http/harness.js';
import { arena, deferred, frameworks, marker, redisServer, settles, tempDir } from './support.js';

const N = 20;

/** A route whose handler runs only once all N requests arrived; `runs()` counts its executions. */
function herdRoute(n = N) {
  const arrived = deferred();
  let arrivals = 0;
  let runs = 0;
  const route = {
    path: '/herd',
    cached: [{ ttl: '5m', key: () => { if (++arrivals === n) arrived.resolve(); return 'same'; } }] as [unknown],
    handler: async (io: { send(body: string): void }) => {
      runs++;
      await arrived.promise;
      io.send(`body ${'x'.repeat(64)}`);
    },
  };
  return { route, runs: () => runs, arrivals: () => arrivals };
}

async function herd(url: string, first?: 'HEAD'): Promise<Array<{ status: number; text: string }>> {
  const requests: Array<Promise<{ status: number; text: string }>> = [];
  if (first) requests.push(fetch(`${url}/herd`, { method: first }).then(async (r) => ({ status: r.status, text: await r.text() })));
  for (let i = 0; i < N - (first ? 1 : 0); i++) requests.push(fetch(`${url}/herd`).then(async (r) => ({ status: r.status, text: await r.text() })));
  return settles(Promise.all(requests), 15_000, 'the herd');
}

/**
 * A store that answers reads as they were when asked, but late: the first read once every request
 * arrived, each later one only after another handler run. Without shared reads, every request
 * would find the entry missing and run the handler.
 */
function lateStore(arrivedAll: Promise<void>, handlerRan: () => Promise<void>) {
  const inner = new MemoryStore();
  let reads = 0;
  return {
    kind: 'late',
    get: (key: string) => inner.get(key),
    async getMany(keys: readonly string[]) {
      const values = keys.map((key) => inner.getSync(key));
      if (reads++ === 0) await arrivedAll;
      else await handlerRan();
      return values;
    },
    set: (key: string, value: Buffer, ttlMs?: number) => inner.set(key, value, ttlMs),
    delete: (key: string) => inner.delete(key),
    clear: () => inner.clear(),
    close: () => inner.close(),
    reads: () => reads,
  };
}

function describeStores(framework: Framework, stores: Array<[string, () => LarderOptions | undefined]>): void {
  describe.each(stores)(`on ${framework.name} with the %s store`, (_store, options) => {
    const ring = arena(framework, () => options() ?? {});

    it(`runs the handler once for ${N} concurrent identical cold GETs`, async () => {
      if (!options()) return;
      const { route, runs, arrivals } = herdRoute();
      const { url } = await ring.start({ routes: [route] });
      const responses = await herd(url);
      expect(arrivals()).toBe(N);
      expect(runs()).toBe(1);
      expect(responses.every((r) => r.status === 200 && r.text === responses[0]!.text)).toBe(true);
    });

    it(`runs the handler once when a HEAD arrives first and ${N - 1} GETs follow`, async () => {
      if (!options()) return;
      const { route, runs } = herdRoute();
      const { url } = await ring.start({ routes: [route] });
      const [head, ...gets] = await herd(url, 'HEAD');
      expect(runs()).toBe(1);
      expect(head).toEqual({ status: 200, text: '' });
      expect(gets.every((r) => r.status === 200 && r.text.startsWith('body '))).toBe(true);
    });
  });
}

const sqliteDir = tempDir('larder-herd-');
const redis = redisServer();
let files = 0;

for (const framework of frameworks) {
  describeStores(framework, [
    ['memory', () => ({})],
    ['sqlite', () => ({ store: `sqlite://${sqliteDir()}/herd-${++files}.sqlite` })],
    ['redis', () => (redis() ? { store: redis()!.url, namespace: marker('herd') } : undefined)],
  ]);

  describe(`herds on ${framework.name} when the store misbehaves`, () => {
    const ring = arena(framework);

    it('runs the handler once when the store answers late (shared reads)', async () => {
      const arrived = deferred();
      let arrivals = 0;
      let runs = 0;
      const ran = deferred();
      const store = lateStore(arrived.promise, () => ran.promise);
      ring.use({ store, storeTimeout: '1 minute' });
      const { url } = await ring.start({ routes: [{
        path: '/herd',
        cached: [{ ttl: '5m', key: () => { if (++arrivals === N) arrived.resolve(); return 'same'; } }],
        handler: (io) => { runs++; ran.resolve(); io.send('late'); },
      }] });
      const responses = await herd(url);
      expect(responses.every((r) => r.text === 'late')).toBe(true);
      expect(runs).toBe(1);
      expect(store.reads()).toBe(1);
    });

    it('runs the handler once when the store is down, and the others get its response', async () => {
      const fail = () => Promise.reject(new Error('store unreachable'));
      ring.use({ store: { kind: 'down', get: fail, getMany: fail, set: fail, delete: fail, clear: fail, close: () => Promise.resolve() } });
      const { route, runs } = herdRoute();
      const { url } = await ring.start({ routes: [route] });
      const responses = await herd(url);
      expect(runs()).toBe(1);
      expect(responses.every((r) => r.status === 200 && r.text.startsWith('body '))).toBe(true);
      expect(ring.events.some(([name, e]) => name === 'error' && e.reason === 'store-error')).toBe(true);
    });

    it('runs the handler once while Redis is frozen (SIGSTOP), and recovers when it thaws', async () => {
      const server = redis();
      if (!server) return;
      ring.use({ store: server.url, namespace: marker('frozen') });
      const warm = await fetch(`${(await ring.start({ routes: [{ path: '/warm', cached: ['5m'], handler: (io) => io.send('warm') }] })).url}/warm`);
      expect(warm.status).toBe(200);
      const { route, runs } = herdRoute();
      const { url } = await ring.start({ routes: [route] });
      server.freeze();
      try {
        const responses = await herd(url);
        expect(runs()).toBe(1);
        expect(responses.every((r) => r.status === 200)).toBe(true);
        expect(ring.events.some(([name, e]) => name === 'error' && e.reason === 'store-timeout')).toBe(true);
      } finally {
        server.thaw();
      }
    });
  });
}
