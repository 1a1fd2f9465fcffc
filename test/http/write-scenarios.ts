import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { AppSetup, Framework, RouteSpec } from './harness.js';
import { useScenarioApp } from './scenario-app.js';

const MODES = [
  ['route', { ttl: '5m' }],
  ['http', { mode: 'http', ttl: '5m' }],
] as const;

/** Invalidation on writes (RFC 9111 §4.4), in both modes, on one framework. */
export function describeWriteScenarios(framework: Framework): void {
  describe.each(MODES)(`a write on ${framework.name}, mode '%s'`, (_mode, options) => {
    const t = useScenarioApp(framework);

    /** GET /users/:id (cached, counting) and writes on /users and /users/:id answering `status` with `headers`. */
    function users(write: { status?: number; headers?: Record<string, string> } = {}, extra: Partial<AppSetup> = {}) {
      const calls = { n: 0 };
      const respond: RouteSpec['handler'] = (io) => {
        io.status(write.status ?? 200);
        for (const [name, value] of Object.entries(write.headers ?? {})) io.set(name, value);
        io.send('written');
      };
      const routes: RouteSpec[] = [
        { path: '/users/:id', cached: extra.appLevelCached ? undefined : [options], handler: (io) => io.send(`user ${io.params.id} #${++calls.n}`) },
        ...(['put', 'patch', 'delete', 'post'] as const).map((method): RouteSpec => ({ method, path: '/users/:id', handler: respond })),
        { method: 'post', path: '/users', handler: respond },
      ];
      return { setup: { routes, provideLarder: [] as [], ...extra }, calls };
    }

    const cachedNow = async (url: string, path: string) => (await request(url).get(path)).headers['x-cache'];

    it.each(['put', 'patch', 'delete', 'post'] as const)('a successful %s drops the stored responses of its path, query variants included, and nothing else', async (method) => {
      const { setup } = users();
      const { url } = await t.start(setup);
      for (const path of ['/users/1', '/users/1?fields=name', '/users/2']) await request(url).get(path);
      expect((await request(url)[method]('/users/1')).text).toBe('written');
      expect(await cachedNow(url, '/users/1')).toBe('MISS');
      expect(await cachedNow(url, '/users/1?fields=name')).toBe('MISS');
      expect(await cachedNow(url, '/users/2')).toBe('HIT');
    });

    it('a failed write drops nothing', async () => {
      const { setup } = users({ status: 409 });
      const { url } = await t.start(setup);
      await request(url).get('/users/1');
      expect((await request(url).put('/users/1')).status).toBe(409);
      expect(await cachedNow(url, '/users/1')).toBe('HIT');
    });

    it('drops the same-origin paths named by Location and Content-Location, never another origin', async () => {
      const { setup } = users({ status: 201, headers: { Location: '/users/3', 'Content-Location': '/users/4' } });
      const elsewhere: RouteSpec = { method: 'post', path: '/import', handler: (io) => { io.status(201); io.set('Location', 'http://elsewhere.example/users/5'); io.send('imported'); } };
      const { url } = await t.start({ ...setup, routes: [...setup.routes, elsewhere] });
      for (const path of ['/users/3', '/users/4', '/users/5']) await request(url).get(path);
      await request(url).post('/users');
      await request(url).post('/import');
      expect([await cachedNow(url, '/users/3'), await cachedNow(url, '/users/4'), await cachedNow(url, '/users/5')]).toEqual(['MISS', 'MISS', 'HIT']);
    });

    it('is turned off by provideLarder({ invalidateOnWrite: false })', async () => {
      const { setup } = users({}, { provideLarder: [{ invalidateOnWrite: false }] });
      const { url } = await t.start(setup);
      await request(url).get('/users/1');
      await request(url).put('/users/1');
      expect(await cachedNow(url, '/users/1')).toBe('HIT');
    });

    it('is done by an app-level cached() for the writes it sees, without provideLarder', async () => {
      const { setup } = users({}, { provideLarder: undefined, appLevelCached: [options] });
      const { url } = await t.start(setup);
      await request(url).get('/users/1');
      expect(await cachedNow(url, '/users/1')).toBe('HIT');
      await request(url).delete('/users/1');
      expect(await cachedNow(url, '/users/1')).toBe('MISS');
    });

    it('leaves alone what a cached POST route (methods: [POST]) answers as a read', async () => {
      let n = 0;
      const search: RouteSpec = { method: 'post', path: '/search', cached: [{ ...options, methods: ['POST'] }], handler: (io) => io.send(`results #${++n}`) };
      const { url } = await t.start({ json: true, provideLarder: [], routes: [search] });
      await request(url).post('/search').send({ q: 'a' });
      const again = await request(url).post('/search').send({ q: 'a' });
      expect([again.headers['x-cache'], again.text]).toEqual(['HIT', 'results #1']);
    });
  });
}
