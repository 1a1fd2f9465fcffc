import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { deferred, type Framework, type Io, type RouteSpec } from './harness.js';
import { httpDate, useScenarioApp } from './scenario-app.js';

type Headers = Record<string, string | undefined>;

/** `cached({ mode: 'http' })` as a shared HTTP cache (RFC 9111), on one framework. */
export function describeHttpModeScenarios(framework: Framework): void {
  describe(`cached({ mode: 'http' }) on ${framework.name}`, () => {
    const t = useScenarioApp(framework);

    /** A route answering `body <n>` with these headers (a function of the call number and the request). */
    function route(headers: Headers | ((n: number, io: Io) => Headers), options: Record<string, unknown> = {}, path = '/r') {
      const calls = { n: 0, seen: [] as Array<Record<string, string | undefined>> };
      const spec: RouteSpec = {
        path,
        cached: [{ mode: 'http', ...options }],
        handler: (io) => {
          const n = ++calls.n;
          calls.seen.push({ 'if-none-match': io.header('if-none-match'), 'if-modified-since': io.header('if-modified-since') });
          const answer = typeof headers === 'function' ? headers(n, io) : headers;
          io.status(Number(answer[':status'] ?? 200));
          for (const [name, value] of Object.entries(answer)) if (!name.startsWith(':') && value !== undefined) io.set(name, value);
          if (answer[':status'] === '304' || io.fresh()) {
            io.status(304);
            io.send(null);
          } else {
            io.send(`body ${n}`);
          }
        },
      };
      return { spec, calls };
    }

    const get = (url: string, path = '/r', headers: Record<string, string> = {}) => request(url).get(path).set(headers);

    describe('freshness comes from the response', () => {
      it('reuses a response for its Cache-Control max-age, counting Age from the write, then runs the handler again', async () => {
        const { spec, calls } = route(() => ({ 'Cache-Control': 'max-age=60', Date: httpDate(t) }), { ttl: '1h' });
        const { url } = await t.start({ routes: [spec] });
        expect((await get(url)).headers['x-cache']).toBe('MISS');
        t.now += 59_000;
        const hit = await get(url);
        expect([hit.headers['x-cache'], hit.headers.age, hit.text]).toEqual(['HIT', '59', 'body 1']);
        t.now += 2_000;
        expect((await get(url)).text).toBe('body 2');
        expect(calls.n).toBe(2);
      });

      it('prefers CDN-Cache-Control over Cache-Control, and s-maxage over max-age', async () => {
        const cdn = route({ 'CDN-Cache-Control': 'max-age=600', 'Cache-Control': 'no-store' }, {}, '/cdn');
        const shared = route({ 'Cache-Control': 'max-age=600, s-maxage=10' }, {}, '/s');
        const { url } = await t.start({ routes: [cdn.spec, shared.spec] });
        await get(url, '/cdn');
        await get(url, '/s');
        t.now += 300_000;
        expect((await get(url, '/cdn')).headers['x-cache']).toBe('HIT');
        expect((await get(url, '/s')).headers['x-cache']).toBe('MISS');
      });

      it('is fresh until Expires, measured against the response Date', async () => {
        const { spec } = route(() => ({ Date: httpDate(t), Expires: httpDate(t, 30) }));
        const { url } = await t.start({ routes: [spec] });
        await get(url);
        t.now += 29_000;
        expect((await get(url)).headers['x-cache']).toBe('HIT');
        t.now += 2_000;
        expect((await get(url)).headers['x-cache']).toBe('MISS');
      });

      it('does not reuse a response that states no freshness unless ttl gives it one', async () => {
        const none = route({}, {}, '/none');
        const withTtl = route({}, { ttl: '5m' }, '/ttl');
        const { url } = await t.start({ routes: [none.spec, withTtl.spec] });
        for (const path of ['/none', '/ttl']) await get(url, path);
        expect((await get(url, '/none')).headers['x-cache']).toBe('MISS');
        expect((await get(url, '/ttl')).headers['x-cache']).toBe('HIT');
      });

      it('never lets ttl lengthen or shorten a lifetime the response states, nor apply to a status that needs one', async () => {
        const stated = route({ 'Cache-Control': 'max-age=10' }, { ttl: '1h' }, '/stated');
        const created = route({ ':status': '201' }, { ttl: '1h' }, '/created');
        const { url } = await t.start({ routes: [stated.spec, created.spec] });
        await get(url, '/stated');
        await get(url, '/created');
        expect((await get(url, '/created')).headers['x-cache']).toBe('MISS');
        t.now += 11_000;
        expect((await get(url, '/stated')).headers['x-cache']).toBe('MISS');
      });

      it('gives a response with Last-Modified a tenth of its age as heuristic freshness', async () => {
        const modified = httpDate(t, -1000);
        const { spec, calls } = route(() => ({ Date: httpDate(t), 'Last-Modified': modified }));
        const { url } = await t.start({ routes: [spec] });
        await get(url);
        t.now += 99_000;
        expect((await get(url)).headers['x-cache']).toBe('HIT');
        t.now += 2_000;
        await get(url);
        expect(calls.n).toBe(2);
        expect(calls.seen[1]!['if-modified-since']).toBe(modified);
      });

      it('stores the statuses a shared cache may store when they say how long (a 404, a 301)', async () => {
        const missing = route({ ':status': '404', 'Cache-Control': 'max-age=60' }, {}, '/missing');
        const moved = route({ ':status': '301', Location: '/elsewhere', 'Cache-Control': 'max-age=60' }, {}, '/moved');
        const { url } = await t.start({ routes: [missing.spec, moved.spec] });
        await get(url, '/missing');
        await get(url, '/moved');
        const [a, b] = [await get(url, '/missing'), await get(url, '/moved')];
        expect([a.status, a.headers['x-cache'], b.status, b.headers['x-cache'], b.headers.location]).toEqual([404, 'HIT', 301, 'HIT', '/elsewhere']);
      });
    });

    describe('Age and Date (RFC 9111 §4.2.3)', () => {
      it("counts the upstream Age, and replays the stored Date", async () => {
        const date = httpDate(t);
        const { spec } = route({ 'Cache-Control': 'max-age=60', Age: '50', Date: date });
        const { url } = await t.start({ routes: [spec] });
        await get(url);
        t.now += 5_000;
        const hit = await get(url);
        expect([hit.headers['x-cache'], hit.headers.age, hit.headers.date]).toEqual(['HIT', '55', date]);
        t.now += 6_000;
        expect((await get(url)).headers['x-cache']).toBe('MISS');
      });
    });

    describe('revalidation (RFC 9111 §4.3)', () => {
      it('stores a no-cache response and revalidates it on every use: the handler sees its ETag and a 304 replays the stored body', async () => {
        const { spec, calls } = route((n) => ({ 'Cache-Control': 'no-cache', ETag: '"v1"', ...(n > 1 ? { ':status': '304' } : {}) }));
        const { url } = await t.start({ routes: [spec] });
        await get(url);
        const again = await get(url);
        expect([again.status, again.headers['x-cache'], again.text, again.headers.etag]).toEqual([200, 'HIT', 'body 1', '"v1"']);
        expect(calls.seen[1]!['if-none-match']).toBe('"v1"');
        expect(calls.n).toBe(2);
      });

      it('revalidates a stale must-revalidate response with If-Modified-Since when it has only Last-Modified', async () => {
        const modified = httpDate(t, -3600);
        const { spec, calls } = route((n) => ({ 'Cache-Control': 'max-age=10, must-revalidate', 'Last-Modified': modified, ...(n > 1 ? { ':status': '304' } : {}) }));
        const { url } = await t.start({ routes: [spec] });
        await get(url);
        t.now += 20_000;
        const revalidated = await get(url);
        expect([revalidated.status, revalidated.text]).toEqual([200, 'body 1']);
        expect(calls.seen[1]!['if-modified-since']).toBe(modified);
      });

      it("merges the 304's fields into the stored response, keeping its Content-Length, and renews its freshness", async () => {
        const { spec, calls } = route((n) => (n === 1
          ? { 'Cache-Control': 'max-age=10', ETag: '"a"', 'X-Version': 'one', 'X-Kept': 'yes' }
          : { ':status': '304', 'Cache-Control': 'max-age=600', ETag: '"a"', 'X-Version': 'two' }));
        const { url } = await t.start({ routes: [spec] });
        await get(url);
        t.now += 20_000;
        const revalidated = await get(url);
        expect([revalidated.headers['x-version'], revalidated.headers['x-kept'], revalidated.headers['content-length'], revalidated.text]).toEqual(['two', 'yes', '6', 'body 1']);
        t.now += 300_000;
        const hit = await get(url);
        expect([hit.headers['x-cache'], hit.headers['x-version'], hit.headers['cache-control']]).toEqual(['HIT', 'two', 'max-age=600']);
        expect(calls.n).toBe(2);
      });

      it("answers the client's own conditional request with a 304 after revalidating", async () => {
        const { spec } = route((n) => ({ 'Cache-Control': 'no-cache', ETag: '"v1"', ...(n > 1 ? { ':status': '304' } : {}) }));
        const { url } = await t.start({ routes: [spec] });
        await get(url);
        expect((await get(url, '/r', { 'If-None-Match': '"v1"' })).status).toBe(304);
      });

      it('stores the new response when the revalidation answers 200', async () => {
        const { spec } = route((n) => ({ 'Cache-Control': 'max-age=10', ETag: `"v${n}"` }));
        const { url } = await t.start({ routes: [spec] });
        await get(url);
        t.now += 20_000;
        expect((await get(url)).text).toBe('body 2');
        const hit = await get(url);
        expect([hit.headers['x-cache'], hit.text, hit.headers.etag]).toEqual(['HIT', 'body 2', '"v2"']);
      });
    });

    describe("the response's stale-while-revalidate and stale-if-error (RFC 5861)", () => {
      it('serves a stale response within stale-while-revalidate and refreshes it in the background', async () => {
        const { spec, calls } = route({ 'Cache-Control': 'max-age=10, stale-while-revalidate=60' });
        const { url } = await t.start({ routes: [spec] });
        await get(url);
        const refreshed = deferred();
        t.larder.on('set', () => t.events.filter(([name]) => name === 'set').length === 2 && refreshed.resolve());
        t.now += 30_000;
        const stale = await get(url);
        expect([stale.headers['x-cache'], stale.text]).toEqual(['STALE', 'body 1']);
        await refreshed.promise;
        const fresh = await get(url);
        expect([fresh.headers['x-cache'], fresh.text]).toEqual(['HIT', 'body 2']);
        expect(calls.n).toBe(2);
      });

      it('serves a stale response within stale-if-error when the handler answers 5xx', async () => {
        let failing = false;
        const { spec } = route(() => (failing ? { ':status': '503' } : { 'Cache-Control': 'max-age=10, stale-if-error=60' }));
        const { url } = await t.start({ routes: [spec] });
        await get(url);
        failing = true;
        t.now += 30_000;
        const rescued = await get(url);
        expect([rescued.status, rescued.headers['x-cache'], rescued.text]).toEqual([200, 'STALE', 'body 1']);
        t.now += 60_000;
        expect((await get(url)).status).toBe(503);
      });

      it('never serves a must-revalidate response stale', async () => {
        let failing = false;
        const { spec } = route(() => (failing ? { ':status': '503' } : { 'Cache-Control': 'max-age=10, must-revalidate, stale-while-revalidate=60, stale-if-error=60' }));
        const { url } = await t.start({ routes: [spec] });
        await get(url);
        failing = true;
        t.now += 30_000;
        expect((await get(url)).status).toBe(503);
      });
    });

    describe("the request's Cache-Control, as a shared cache honours it", () => {
      it('revalidates for no-cache and max-age=0, serves stale within max-stale, and keeps nothing for no-store', async () => {
        const { spec, calls } = route({ 'Cache-Control': 'max-age=10' });
        const { url } = await t.start({ routes: [spec] });
        await get(url);
        expect((await get(url, '/r', { 'Cache-Control': 'no-cache' })).text).toBe('body 2');
        expect((await get(url, '/r', { 'Cache-Control': 'max-age=0' })).text).toBe('body 3');
        t.now += 20_000;
        const stale = await get(url, '/r', { 'Cache-Control': 'max-stale=60' });
        expect([stale.headers['x-cache'], stale.text]).toEqual(['STALE', 'body 3']);
        expect((await get(url, '/r', { 'Cache-Control': 'no-store' })).text).toBe('body 4');
        expect((await get(url)).text).toBe('body 5');
        expect(calls.n).toBe(5);
      });

      it('answers 504 to only-if-cached when it holds nothing usable', async () => {
        const { spec, calls } = route({ 'Cache-Control': 'max-age=10' });
        const { url } = await t.start({ routes: [spec] });
        expect((await get(url, '/r', { 'Cache-Control': 'only-if-cached' })).status).toBe(504);
        await get(url);
        expect((await get(url, '/r', { 'Cache-Control': 'only-if-cached' })).text).toBe('body 1');
        expect(calls.n).toBe(1);
      });
    });

    describe('the safety defaults still apply', () => {
      it.each([
        ['sets a cookie', { 'Cache-Control': 'max-age=60', 'Set-Cookie': 'sid=1' }],
        ['says private', { 'Cache-Control': 'private, max-age=60' }],
        ['says no-store', { 'Cache-Control': 'no-store, max-age=60' }],
        ['says Vary: *', { 'Cache-Control': 'max-age=60', Vary: '*' }],
      ])('does not store a response that %s', async (_label, headers) => {
        const { spec } = route(headers);
        const { url } = await t.start({ routes: [spec] });
        await get(url);
        expect((await get(url)).text).toBe('body 2');
      });

      it('bypasses requests with Authorization; with shareAuthenticated, stores only what says public, s-maxage or must-revalidate', async () => {
        const bypassed = route({ 'Cache-Control': 'public, max-age=60' }, {}, '/bypassed');
        const plain = route({ 'Cache-Control': 'max-age=60' }, { shareAuthenticated: true }, '/plain');
        const shared = route({ 'Cache-Control': 'public, max-age=60' }, { shareAuthenticated: true }, '/public');
        const { url } = await t.start({ routes: [bypassed.spec, plain.spec, shared.spec] });
        const auth = { Authorization: 'Bearer a' };
        for (const path of ['/bypassed', '/plain', '/public']) await get(url, path, auth);
        expect((await get(url, '/bypassed', auth)).headers['x-cache']).toBe('BYPASS');
        expect((await get(url, '/plain', auth)).text).toBe('body 2');
        expect((await get(url, '/public', auth)).headers['x-cache']).toBe('HIT');
      });

      it("keeps the unkeyed-input guard; unkeyed: '*' lets the response's Vary decide what is keyed", async () => {
        const guarded = route((_n, io) => ({ 'Cache-Control': 'max-age=60', 'X-Lang': io.header('x-lang') ?? '' }), {}, '/guarded');
        const varying = route((_n, io) => ({ 'Cache-Control': 'max-age=60', Vary: 'X-Lang', 'X-Lang': io.header('x-lang') ?? '' }), { unkeyed: '*' }, '/vary');
        const { url } = await t.start({ routes: [guarded.spec, varying.spec] });
        await get(url, '/guarded', { 'X-Lang': 'fr' });
        expect((await get(url, '/guarded', { 'X-Lang': 'fr' })).headers['x-cache']).toBe('MISS');
        expect(t.unkeyedWarnings()).toEqual([expect.stringContaining("the request header 'x-lang'")]);
        await get(url, '/vary', { 'X-Lang': 'fr' });
        const de = await get(url, '/vary', { 'X-Lang': 'de' });
        const fr = await get(url, '/vary', { 'X-Lang': 'fr' });
        expect([de.headers['x-cache'], de.headers['x-lang'], fr.headers['x-cache'], fr.headers['x-lang']]).toEqual(['MISS', 'de', 'HIT', 'fr']);
      });
    });

    it("keeps mode: 'route' as it was: the route's ttl decides, whatever the response says", async () => {
      const spec: RouteSpec = { path: '/route', cached: [{ ttl: '5m' }], handler: (io) => { io.set('Cache-Control', 'max-age=1'); io.send('route'); } };
      const { url } = await t.start({ routes: [spec] });
      await get(url, '/route');
      t.now += 60_000;
      expect((await get(url, '/route')).headers['x-cache']).toBe('HIT');
    });

    it('rejects an unknown mode at construction, naming the option', () => {
      expect(() => framework.cached({ mode: 'rfc' })).toThrow(/'mode'/);
    });
  });
}
