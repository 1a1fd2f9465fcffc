import { Readable } from 'node:stream';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLarder, type Larder, type LarderEvent } from '@larder/core';
import { takeWarnings } from '../support/quiet.js';
import { deferred, withLarder, type AppSetup, type Framework, type RouteSpec, type RunningApp } from './harness.js';

/** Runs every HTTP scenario against one framework. */
export function describeScenarios(framework: Framework): void {
  describe(`cached() on ${framework.name}`, () => {
    let now: number;
    let larder: Larder;
    let app: RunningApp | undefined;
    let events: Array<[string, LarderEvent]>;

    beforeEach(() => {
      now = 1_700_000_000_000;
      larder = createLarder({ clock: { now: () => now } });
      events = [];
      for (const name of ['hit', 'miss', 'stale', 'set', 'bypass', 'error'] as const) larder.on(name, (e: LarderEvent) => events.push([name, e]));
    });
    afterEach(async () => {
      const errors = app?.errors.splice(0) ?? [];
      await app?.close();
      app = undefined;
      await larder.close();
      expect(errors).toEqual([]);
    });

    /** Starts an app whose cached routes use this test's larder. */
    async function start(setup: AppSetup): Promise<RunningApp> {
      const routes = setup.routes.map((route): RouteSpec => (route.cached ? { ...route, cached: withLarder(larder, route.cached as [unknown?, unknown?]) } : route));
      const appLevelCached = setup.appLevelCached ? withLarder(larder, setup.appLevelCached as [unknown?, unknown?]) : undefined;
      app = await framework.start({ ...setup, routes, appLevelCached });
      return app;
    }

    /** A counting JSON route. */
    function counting(path: string, cachedArgs: [unknown?, unknown?], body: (io: Parameters<RouteSpec['handler']>[0], n: number) => unknown = (io, n) => ({ n, params: io.params, query: io.query })) {
      const calls = { n: 0 };
      const route: RouteSpec = { path, cached: cachedArgs, handler: (io) => io.send(body(io, ++calls.n) as object) };
      return { route, calls };
    }

    /** The guard's warnings since the test started (each a LARDER_UNKEYED_INPUT), as messages. */
    function unkeyedWarnings(): string[] {
      const taken = takeWarnings();
      expect(taken.map((w) => w.code)).toEqual(taken.map(() => 'LARDER_UNKEYED_INPUT'));
      return taken.map((w) => w.message);
    }

    describe('a cacheable GET', () => {
      it('runs the handler once and replays status, headers and body byte-for-byte', async () => {
        const { route, calls } = counting('/users/:id', ['5m'], (io, n) => {
          io.set('X-Custom', 'yes');
          return { id: io.params.id, n };
        });
        const { url } = await start({ routes: [route] });
        const miss = await request(url).get('/users/7');
        expect(miss.status).toBe(200);
        expect(miss.headers['x-cache']).toBe('MISS');
        expect(miss.headers['server-timing']).toMatch(/^larder;desc="miss";dur=\d+(\.\d+)?$/);
        now += 3_000;
        const hit = await request(url).get('/users/7');
        expect(hit.headers['x-cache']).toBe('HIT');
        expect(hit.headers.age).toBe('3');
        expect(hit.headers['server-timing']).toBe('larder;desc="hit"');
        expect(hit.text).toBe(miss.text);
        expect(hit.headers['content-type']).toBe(miss.headers['content-type']);
        expect(hit.headers['x-custom']).toBe('yes');
        expect(calls.n).toBe(1);
      });

      it('keys on route params and on the query, whatever the order of its fields', async () => {
        const { route, calls } = counting('/items/:id', ['5m']);
        const { url } = await start({ routes: [route] });
        await request(url).get('/items/1?a=1&b=2');
        expect((await request(url).get('/items/1?b=2&a=1')).headers['x-cache']).toBe('HIT');
        expect((await request(url).get('/items/2?a=1&b=2')).headers['x-cache']).toBe('MISS');
        expect((await request(url).get('/items/1?a=1&b=3')).headers['x-cache']).toBe('MISS');
        expect(calls.n).toBe(3);
      });

      it('keeps repeated query fields in the key', async () => {
        const { route } = counting('/tags', ['5m']);
        const { url } = await start({ routes: [route] });
        await request(url).get('/tags?t=a&t=b');
        expect((await request(url).get('/tags?t=a')).headers['x-cache']).toBe('MISS');
        expect((await request(url).get('/tags?t=a&t=b')).headers['x-cache']).toBe('HIT');
      });

      it('keys on the Host header, case-insensitively', async () => {
        const { route } = counting('/h', ['5m']);
        const { url } = await start({ routes: [route] });
        await request(url).get('/h').set('Host', 'a.example');
        expect((await request(url).get('/h').set('Host', 'A.EXAMPLE')).headers['x-cache']).toBe('HIT');
        expect((await request(url).get('/h').set('Host', 'b.example')).headers['x-cache']).toBe('MISS');
      });

      it('leaves `_`-prefixed query fields out of the key and out of what the handler sees', async () => {
        const { route, calls } = counting('/q', ['5m']);
        const { url } = await start({ routes: [route] });
        const first = await request(url).get('/q?x=1&_ts=123');
        expect(first.body.query).toEqual({ x: '1' });
        const second = await request(url).get('/q?x=1&_ts=456');
        expect(second.headers['x-cache']).toBe('HIT');
        expect(calls.n).toBe(1);
      });

      it('leaves `exclude`d fields out of the key and out of what the handler sees', async () => {
        const { route, calls } = counting('/q', [{ ttl: '5m', exclude: ['query.utm_source', 'query.fbclid'] }]);
        const { url } = await start({ routes: [route] });
        expect((await request(url).get('/q?x=1&utm_source=mail&fbclid=abc')).body.query).toEqual({ x: '1' });
        expect((await request(url).get('/q?x=1&utm_source=ads')).headers['x-cache']).toBe('HIT');
        expect(calls.n).toBe(1);
      });

      describe('when the handler reads a `_`-prefixed field Larder removed (json-server style ?_page=2)', () => {
        /** The LARDER_STRIPPED_FIELD warnings emitted while `fn` runs (the test owns them; nothing is printed). */
        async function strippedWarnings(fn: () => Promise<void>): Promise<string[]> {
          await fn();
          const taken = takeWarnings();
          expect(taken.map((w) => w.code)).toEqual(taken.map(() => 'LARDER_STRIPPED_FIELD'));
          return taken.map((w) => w.message);
        }

        it('warns once, naming the field and the fix; the handler got undefined', async () => {
          const { route } = counting('/items', ['5m'], (io, n) => ({ page: io.query._page ?? 'none', n }));
          const { url } = await start({ routes: [route] });
          const seen = await strippedWarnings(async () => {
            expect((await request(url).get('/items?_page=2')).body.page).toBe('none');
            expect((await request(url).get('/items?_page=3')).headers['x-cache']).toBe('HIT');
            await request(url).get('/items?_page=4&x=1');
          });
          expect(seen).toHaveLength(1);
          expect(seen[0]).toContain("query field '_page'");
          expect(seen[0]).toContain('GET /items');
          expect(seen[0]).toContain("rename it (e.g. 'page')");
          expect(seen[0]).toContain("cached({ include: ['query._page'] })");
        });

        it("with include: ['query._page'], the handler sees the field and it is part of the key", async () => {
          const { route, calls } = counting('/items', [{ ttl: '5m', include: ['query._page'] }], (io, n) => ({ page: io.query._page, n }));
          const { url } = await start({ routes: [route] });
          const seen = await strippedWarnings(async () => {
            expect((await request(url).get('/items?_page=2')).body).toEqual({ page: '2', n: 1 });
            const three = await request(url).get('/items?_page=3');
            expect([three.headers['x-cache'], three.body.page]).toEqual(['MISS', '3']);
            expect((await request(url).get('/items?_page=2&_ts=1')).headers['x-cache']).toBe('HIT');
          });
          expect(calls.n).toBe(2);
          expect(seen).toEqual([]);
        });

        it('does not warn when the handler never reads it (a cache-buster)', async () => {
          const { route } = counting('/q', ['5m'], (io, n) => ({ x: io.query.x, n }));
          const { url } = await start({ routes: [route] });
          const seen = await strippedWarnings(async () => {
            await request(url).get('/q?x=1&_ts=123');
          });
          expect(seen).toEqual([]);
        });

        it('warns for a body field of a keyed POST, and include: [\'body._token\'] keeps it', async () => {
          let n = 0;
          const handler = (io: Parameters<RouteSpec['handler']>[0]) => io.send({ token: (io.body as Record<string, unknown>)._token ?? 'none', n: ++n });
          const { url } = await start({
            json: true,
            routes: [
              { method: 'post', path: '/search', cached: [{ ttl: '5m', methods: ['POST'] }], handler },
              { method: 'post', path: '/kept', cached: [{ ttl: '5m', methods: ['POST'], include: ['body._token'] }], handler },
            ],
          });
          const seen = await strippedWarnings(async () => {
            expect((await request(url).post('/search').send({ q: 'a', _token: 't1' })).body.token).toBe('none');
            expect((await request(url).post('/kept').send({ q: 'a', _token: 't1' })).body.token).toBe('t1');
            expect((await request(url).post('/kept').send({ q: 'a', _token: 't2' })).headers['x-cache']).toBe('MISS');
          });
          expect(seen).toHaveLength(1);
          expect(seen[0]).toContain("body field '_token'");
          expect(seen[0]).toContain("include: ['body._token']");
        });

        it('rejects include entries that are not `_`-prefixed query or body fields, or that are also excluded', () => {
          for (const include of [['page'], ['query.page'], ['headers._x'], ['query._a.b']]) {
            expect(() => framework.cached!({ include })).toThrow(/include/);
          }
          expect(() => framework.cached!({ include: ['query._x'], exclude: ['query._x'] })).toThrow(/also in exclude/);
        });
      });

      it('keys on the headers named in `vary`', async () => {
        const route: RouteSpec = { path: '/hello', cached: [{ ttl: '5m', vary: ['Accept-Language'] }], handler: (io) => io.send(`hello ${io.header('accept-language')}`) };
        const { url } = await start({ routes: [route] });
        expect((await request(url).get('/hello').set('Accept-Language', 'fr')).text).toBe('hello fr');
        const de = await request(url).get('/hello').set('Accept-Language', 'de');
        expect(de.text).toBe('hello de');
        expect(de.headers['x-cache']).toBe('MISS');
        const fr = await request(url).get('/hello').set('Accept-Language', 'fr');
        expect([fr.headers['x-cache'], fr.text]).toEqual(['HIT', 'hello fr']);
      });

      it('keys on the result of `key()`', async () => {
        const route: RouteSpec = { path: '/me', cached: [{ ttl: '5m', key: (r: unknown) => tenantOf(r), unkeyed: ['x-tenant'] }], handler: (io) => io.send(`tenant ${io.header('x-tenant')}`) };
        const { url } = await start({ routes: [route] });
        await request(url).get('/me').set('X-Tenant', 'a');
        expect((await request(url).get('/me').set('X-Tenant', 'b')).text).toBe('tenant b');
        const again = await request(url).get('/me').set('X-Tenant', 'a');
        expect([again.headers['x-cache'], again.text]).toEqual(['HIT', 'tenant a']);
      });

      it('fails at construction, naming the option, when an option is invalid', () => {
        const bad = [['5 minuets'], [{ ttl: 0 }], [{ vary: ['*'] }], [{ statuses: ['200'] }], [{ maxBodyBytes: -1 }], [{ exclude: ['utm_source'] }], [{ tagz: [] }]];
        for (const args of bad) {
          expect(() => framework.cached!(...args)).toThrow(/ttl|vary|statuses|maxBodyBytes|exclude|tagz/);
        }
      });
    });

    describe('what is stored', () => {
      it.each([
        ['sets a cookie', (io: Parameters<RouteSpec['handler']>[0]) => io.set('Set-Cookie', 'sid=1')],
        ['says Cache-Control: private', (io: Parameters<RouteSpec['handler']>[0]) => io.set('Cache-Control', 'private, max-age=60')],
        ['says Cache-Control: no-store', (io: Parameters<RouteSpec['handler']>[0]) => io.set('Cache-Control', 'no-store')],
        ['says Vary: *', (io: Parameters<RouteSpec['handler']>[0]) => io.set('Vary', '*')],
        ['answers 404', (io: Parameters<RouteSpec['handler']>[0]) => io.status(404)],
        ['answers 500', (io: Parameters<RouteSpec['handler']>[0]) => io.status(500)],
      ])('does not store a response when the handler %s', async (_label, act) => {
        let n = 0;
        const { url } = await start({ routes: [{ path: '/r', cached: ['5m'], handler: (io) => { act(io); io.send(`n=${++n}`); } }] });
        await request(url).get('/r');
        const second = await request(url).get('/r');
        expect(second.headers['x-cache']).toBe('MISS');
        expect(second.text).toBe('n=2');
      });

      it('stores the statuses listed in `statuses`', async () => {
        let n = 0;
        const { url } = await start({ routes: [{ path: '/gone', cached: [{ ttl: '5m', statuses: [200, 404] }], handler: (io) => { io.status(404); io.send(`missing ${++n}`); } }] });
        await request(url).get('/gone');
        const hit = await request(url).get('/gone');
        expect([hit.status, hit.headers['x-cache'], hit.text]).toEqual([404, 'HIT', 'missing 1']);
      });

      it('serves but does not store a body larger than `maxBodyBytes`', async () => {
        const big = 'x'.repeat(2048);
        const { url } = await start({ routes: [{ path: '/big', cached: [{ ttl: '5m', maxBodyBytes: 1024 }], handler: (io) => io.send(big) }] });
        expect((await request(url).get('/big')).text).toBe(big);
        const second = await request(url).get('/big');
        expect([second.headers['x-cache'], second.text.length]).toEqual(['MISS', 2048]);
        expect(events.some(([name, e]) => name === 'bypass' && e.reason === 'body-too-large')).toBe(true);
      });

      it('lets a thrown error reach the framework error handling and stores nothing', async () => {
        let n = 0;
        const { url } = await start({ routes: [{ path: '/boom', cached: ['5m'], handler: () => { throw Object.assign(new Error(`boom ${++n}`), { status: 503 }); } }] });
        const first = await request(url).get('/boom');
        expect([first.status, first.text]).toEqual([503, 'error: boom 1']);
        expect((await request(url).get('/boom')).text).toBe('error: boom 2');
      });

      it('stores a streamed body whole and replays it', async () => {
        const { url } = await start({ routes: [{ path: '/s', cached: ['5m'], handler: (io) => { io.type('text/plain'); io.stream(Readable.from(['a', 'b', 'c'])); } }] });
        expect((await request(url).get('/s')).text).toBe('abc');
        const hit = await request(url).get('/s');
        expect([hit.headers['x-cache'], hit.text, hit.headers['content-length']]).toEqual(['HIT', 'abc', '3']);
      });

      it('streams a miss to the client as it is produced', async () => {
        const gate = deferred();
        const { url } = await start({
          routes: [{ path: '/slow', cached: ['5m'], handler: (io) => {
            io.type('text/plain');
            io.stream(Readable.from((async function* () { yield 'first,'; await gate.promise; yield 'second'; })()));
          } }],
        });
        const response = await fetch(`${url}/slow`);
        const reader = response.body!.getReader();
        const first = await reader.read();
        expect(Buffer.from(first.value!).toString()).toBe('first,');
        gate.resolve();
        let rest = '';
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += Buffer.from(chunk.value).toString();
        expect(rest).toBe('second');
        expect((await request(url).get('/slow')).text).toBe('first,second');
      });

      it('does not store a response whose client went away before it ended', async () => {
        const gate = deferred();
        const abandoned = deferred();
        larder.on('bypass', (e: LarderEvent) => e.reason === 'aborted' && abandoned.resolve());
        let n = 0;
        const { url, errors } = await start({
          routes: [{ path: '/abort', cached: ['5m'], handler: (io) => {
            const k = ++n;
            io.type('text/plain');
            io.stream(Readable.from((async function* () { yield 'part,'; if (k === 1) await gate.promise; yield 'end'; })()));
          } }],
        });
        const controller = new AbortController();
        const response = await fetch(`${url}/abort`, { signal: controller.signal });
        await response.body!.getReader().read();
        controller.abort();
        await abandoned.promise;
        gate.resolve();
        const next = await request(url).get('/abort');
        expect(next.headers['x-cache']).toBe('MISS');
        // Koa 3 pipes a stream body with stream.pipeline and reports the client's early close as an app error; Koa 2 and Express say nothing.
        const codes = errors.splice(0).map((error) => (error as NodeJS.ErrnoException).code);
        expect(codes.filter((code) => code !== 'ERR_STREAM_PREMATURE_CLOSE')).toEqual([]);
      });

      it('stores a response with Vary per value of the named request headers', async () => {
        const route: RouteSpec = { path: '/v', cached: ['5m'], handler: (io) => { io.set('Vary', 'Accept-Language'); io.send(`lang ${io.header('accept-language')}`); } };
        const { url } = await start({ routes: [route] });
        await request(url).get('/v').set('Accept-Language', 'fr');
        const de = await request(url).get('/v').set('Accept-Language', 'de');
        expect([de.headers['x-cache'], de.text]).toEqual(['MISS', 'lang de']);
        const fr = await request(url).get('/v').set('Accept-Language', 'fr');
        expect([fr.headers['x-cache'], fr.text]).toEqual(['HIT', 'lang fr']);
        const de2 = await request(url).get('/v').set('Accept-Language', 'de');
        expect([de2.headers['x-cache'], de2.text]).toEqual(['HIT', 'lang de']);
      });
    });

    describe('requests that bypass the cache', () => {
      it('bypasses requests that carry Authorization', async () => {
        const { route, calls } = counting('/private', ['5m']);
        const { url } = await start({ routes: [route] });
        await request(url).get('/private').set('Authorization', 'Bearer a');
        const second = await request(url).get('/private').set('Authorization', 'Bearer a');
        expect(second.headers['x-cache']).toBe('BYPASS');
        expect(calls.n).toBe(2);
      });

      it('caches authenticated requests when the key includes Authorization or shareAuthenticated is set', async () => {
        const keyed = counting('/keyed', [{ ttl: '5m', vary: ['authorization'] }]);
        const shared = counting('/shared', [{ ttl: '5m', shareAuthenticated: true }]);
        const { url } = await start({ routes: [keyed.route, shared.route] });
        await request(url).get('/keyed').set('Authorization', 'Bearer a');
        expect((await request(url).get('/keyed').set('Authorization', 'Bearer a')).headers['x-cache']).toBe('HIT');
        expect((await request(url).get('/keyed').set('Authorization', 'Bearer b')).headers['x-cache']).toBe('MISS');
        await request(url).get('/shared').set('Authorization', 'Bearer a');
        expect((await request(url).get('/shared').set('Authorization', 'Bearer b')).headers['x-cache']).toBe('HIT');
      });

      it('bypasses a GET that carries a body', async () => {
        const { route, calls } = counting('/g', ['5m']);
        const { url } = await start({ routes: [route] });
        await request(url).get('/g');
        const withBody = await request(url).get('/g').set('Content-Type', 'text/plain').send('hello');
        expect(withBody.headers['x-cache']).toBe('BYPASS');
        expect(calls.n).toBe(2);
      });

      it('passes other methods through untouched', async () => {
        let n = 0;
        const { url } = await start({ routes: [{ method: 'post', path: '/p', cached: ['5m'], handler: (io) => io.send(`post ${++n}`) }] });
        const first = await request(url).post('/p');
        const second = await request(url).post('/p');
        expect([first.headers['x-cache'], second.text]).toEqual([undefined, 'post 2']);
      });

      it('keys POST bodies when `methods` opts the route in, without `_` fields', async () => {
        let n = 0;
        const { url } = await start({ json: true, routes: [{ method: 'post', path: '/search', cached: [{ ttl: '5m', methods: ['POST'] }], handler: (io) => io.send({ n: ++n, body: io.body }) }] });
        const first = await request(url).post('/search').send({ q: 'cats', _requestId: 1 });
        expect(first.body).toEqual({ n: 1, body: { q: 'cats' } });
        expect((await request(url).post('/search').send({ _requestId: 2, q: 'cats' })).headers['x-cache']).toBe('HIT');
        expect((await request(url).post('/search').send({ q: 'dogs' })).headers['x-cache']).toBe('MISS');
      });
    });

    describe('the unkeyed-input guard', () => {
      it('does not store a route that reflects X-Forwarded-Host, and warns once with the fix', async () => {
        const { url } = await start({ trustProxy: true, routes: [{ path: '/link', cached: ['5m'], handler: (io) => io.send(`<a href="https://${io.hostname()}/x">`) }] });
        await request(url).get('/link').set('X-Forwarded-Host', 'evil.example');
        const clean = await request(url).get('/link');
        expect(clean.text).not.toContain('evil.example');
        expect(clean.headers['x-cache']).toBe('MISS');
        await request(url).get('/link').set('X-Forwarded-Host', 'evil.example');
        const warned = unkeyedWarnings();
        expect(warned).toHaveLength(1);
        expect(warned[0]).toMatch(/GET \/link.*vary: \['x-forwarded-host'\].*unkeyed/s);
      });

      it('does not store a page that greets the session user', async () => {
        const { url } = await start({ session: true, routes: [{ path: '/greet', cached: ['5m'], handler: (io) => io.send(`hi ${String(io.session()?.user ?? 'stranger')}`) }] });
        expect((await request(url).get('/greet').set('Session', 'alice')).text).toBe('hi alice');
        const bob = await request(url).get('/greet').set('Session', 'bob');
        expect([bob.text, bob.headers['x-cache']]).toEqual(['hi bob', 'MISS']);
        expect(unkeyedWarnings()).toEqual([expect.stringMatching(/GET \/greet: .*per-request state \(session\)/)]);
      });

      it('does not store a response that depends on cookies', async () => {
        const { url } = await start({ session: true, routes: [{ path: '/theme', cached: ['5m'], handler: (io) => io.send(`theme ${io.cookie('theme') ?? 'light'}`) }] });
        await request(url).get('/theme').set('Cookie', 'theme=dark');
        expect((await request(url).get('/theme')).text).toBe('theme light');
        // Koa's ctx.cookies reads the Cookie header itself: the guard names both reads there.
        expect(unkeyedWarnings()).toContainEqual(expect.stringMatching(/GET \/theme: .*per-request state \(cookies\)/));
      });

      it('does not store content negotiated with accepts() unless Accept is keyed', async () => {
        const negotiate: RouteSpec['handler'] = (io) => io.send(io.accepts('json', 'html') === 'html' ? '<p>html</p>' : 'json');
        const { url } = await start({ routes: [{ path: '/n', cached: ['5m'], handler: negotiate }, { path: '/k', cached: [{ ttl: '5m', vary: ['accept'] }], handler: negotiate }] });
        await request(url).get('/n').set('Accept', 'text/html');
        expect((await request(url).get('/n').set('Accept', 'application/json')).text).toBe('json');
        await request(url).get('/k').set('Accept', 'text/html');
        expect((await request(url).get('/k').set('Accept', 'text/html')).headers['x-cache']).toBe('HIT');
        expect((await request(url).get('/k').set('Accept', 'application/json')).text).toBe('json');
        expect(unkeyedWarnings()).toEqual([expect.stringMatching(/GET \/n: .*request header 'accept'/)]);
      });

      it('stores a response whose header reads were declared harmless with `unkeyed`', async () => {
        const { url } = await start({ routes: [{ path: '/ua', cached: [{ ttl: '5m', unkeyed: ['user-agent'] }], handler: (io) => { io.header('user-agent'); io.send('same for everyone'); } }] });
        await request(url).get('/ua');
        expect((await request(url).get('/ua')).headers['x-cache']).toBe('HIT');
      });
    });

    describe('replay and conditional requests', () => {
      async function stored(): Promise<{ url: string; etag: string }> {
        const { url } = await start({ routes: [{ path: '/doc', cached: ['5m'], handler: (io) => { io.set('Last-Modified', 'Tue, 01 Jan 2030 00:00:00 GMT'); io.send('document body'); } }] });
        await request(url).get('/doc');
        const hit = await request(url).get('/doc');
        return { url, etag: String(hit.headers.etag) };
      }

      it('serves a strong ETag', async () => {
        const { etag } = await stored();
        expect(etag).toMatch(/^"[^"]+"$/);
      });

      it.each([
        ['the exact ETag', (etag: string) => etag],
        ['its weak form', (etag: string) => `W/${etag}`],
        ['a list that contains it', (etag: string) => `"other", ${etag}`],
        ['*', () => '*'],
      ])('answers 304 to If-None-Match with %s', async (_label, value) => {
        const { url, etag } = await stored();
        const response = await request(url).get('/doc').set('If-None-Match', value(etag));
        expect(response.status).toBe(304);
        expect(response.headers.etag).toBe(etag);
        expect(response.headers['x-cache']).toBe('HIT');
        expect(response.text ?? '').toBe('');
      });

      it("keeps the handler's own ETag, weak or strong, and answers 304 to it", async () => {
        const { url } = await start({ routes: [
          { path: '/weak', cached: ['5m'], handler: (io) => { io.set('ETag', 'W/"v5"'); io.send('weak body'); } },
          { path: '/strong', cached: ['5m'], handler: (io) => { io.set('ETag', '"rev-42"'); io.send('strong body'); } },
        ] });
        for (const [path, tag] of [['/weak', 'W/"v5"'], ['/strong', '"rev-42"']] as const) {
          await request(url).get(path);
          const hit = await request(url).get(path);
          expect([hit.headers['x-cache'], hit.headers.etag]).toEqual(['HIT', tag]);
          expect((await request(url).get(path).set('If-None-Match', tag)).status).toBe(304);
        }
      });

      it('answers 200 to If-None-Match with another ETag', async () => {
        const { url } = await stored();
        expect((await request(url).get('/doc').set('If-None-Match', '"nope"')).status).toBe(200);
      });

      it('answers 304 to If-Modified-Since at or after Last-Modified', async () => {
        const { url } = await stored();
        expect((await request(url).get('/doc').set('If-Modified-Since', 'Wed, 02 Jan 2030 00:00:00 GMT')).status).toBe(304);
        expect((await request(url).get('/doc').set('If-Modified-Since', 'Mon, 31 Dec 2029 00:00:00 GMT')).status).toBe(200);
      });

      it('answers HEAD from the GET entry without a body and with the right Content-Length', async () => {
        const { url } = await stored();
        const head = await request(url).head('/doc');
        expect([head.status, head.headers['x-cache'], head.headers['content-length']]).toEqual([200, 'HIT', String('document body'.length)]);
      });

      it('answers a HEAD miss without a body and stores the full GET response for later GETs', async () => {
        let n = 0;
        const { url } = await start({ routes: [{ path: '/h', cached: ['5m'], handler: (io) => io.send(`full body ${++n}`) }] });
        const head = await request(url).head('/h');
        expect([head.status, head.headers['x-cache'], head.headers['content-length'], head.text ?? '']).toEqual([200, 'MISS', String('full body 1'.length), '']);
        const get = await request(url).get('/h');
        expect([get.headers['x-cache'], get.text, n]).toEqual(['HIT', 'full body 1', 1]);
      });

      it('keeps compression working: hits are compressed like misses', async () => {
        const body = 'compress me '.repeat(200);
        const { url } = await start({ compression: true, routes: [{ path: '/z', cached: ['5m'], handler: (io) => { io.type('text/plain'); io.send(body); } }] });
        const get = (encoding: string) => request(url).get('/z').set('Accept-Encoding', encoding).buffer(true).parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        });
        const miss = await get('gzip');
        const hit = await get('gzip');
        expect([miss.headers['content-encoding'], hit.headers['content-encoding'], hit.headers['x-cache']]).toEqual(['gzip', 'gzip', 'HIT']);
        // supertest decodes gzip itself: equal text proves the compressed hit decodes to the stored body.
        expect((hit.body as Buffer).toString()).toBe(body);
        const plain = await get('identity');
        expect([plain.headers['content-encoding'], (plain.body as Buffer).toString()]).toEqual([undefined, body]);
      });
    });

    describe('concurrency and staleness', () => {
      it('runs the handler once for 200 concurrent identical cold requests', async () => {
        const arrived = deferred();
        let arrivals = 0;
        let n = 0;
        const { url } = await start({
          routes: [{ path: '/stampede', cached: [{ ttl: '5m', key: () => { if (++arrivals === 200) arrived.resolve(); return 'same'; } }], handler: async (io) => { n++; await arrived.promise; io.send({ payload: 'x'.repeat(100) }); } }],
        });
        const responses = await Promise.all(Array.from({ length: 200 }, () => fetch(`${url}/stampede`).then(async (r) => ({ status: r.status, body: await r.text() }))));
        expect(n).toBe(1);
        expect(new Set(responses.map((r) => r.body)).size).toBe(1);
        expect(responses.every((r) => r.status === 200)).toBe(true);
      });

      it('lets waiting requests run the handler themselves when the first response was not storable', async () => {
        const arrived = deferred();
        let arrivals = 0;
        let n = 0;
        const { url } = await start({
          routes: [{ path: '/cookie', cached: [{ ttl: '5m', key: () => { if (++arrivals === 5) arrived.resolve(); return 'same'; } }], handler: async (io) => { const k = ++n; await arrived.promise; if (k === 1) io.set('Set-Cookie', 'a=1'); io.send(`n=${k}`); } }],
        });
        const bodies = await Promise.all(Array.from({ length: 5 }, () => fetch(`${url}/cookie`).then((r) => r.text())));
        expect(n).toBeGreaterThan(1);
        expect(bodies).toContain('n=1');
      });

      it('serves the stale response after ttl and refreshes it exactly once in the background', async () => {
        let n = 0;
        const refreshing = deferred();
        const release = deferred();
        const refreshed = deferred();
        const { url } = await start({ routes: [{ path: '/swr', cached: [{ ttl: '1m', staleWhileRevalidate: '1h' }], handler: async (io) => {
          const k = ++n;
          if (k === 2) { refreshing.resolve(); await release.promise; }
          io.send(`v${k}`);
          if (k === 2) refreshed.resolve();
        } }] });
        await request(url).get('/swr');
        now += 2 * 60_000;
        const stale = [];
        for (let i = 0; i < 3; i++) stale.push(await request(url).get('/swr'));
        expect(stale.map((r) => [r.headers['x-cache'], r.text])).toEqual([['STALE', 'v1'], ['STALE', 'v1'], ['STALE', 'v1']]);
        await refreshing.promise;
        release.resolve();
        await refreshed.promise;
        await new Promise((resolve) => setImmediate(resolve));
        const fresh = await request(url).get('/swr');
        expect([fresh.headers['x-cache'], fresh.text]).toEqual(['HIT', 'v2']);
        expect(n).toBe(2);
      });

      it('serves the stale response when the handler fails, within staleIfError', async () => {
        let fail = false;
        const { url } = await start({ routes: [
          { path: '/sie-throw', cached: [{ ttl: '1m', staleIfError: '1h' }], handler: (io) => { if (fail) throw new Error('down'); io.send('good'); } },
          { path: '/sie-500', cached: [{ ttl: '1m', staleIfError: '1h' }], handler: (io) => { if (fail) { io.status(500); io.send('bad'); } else io.send('good'); } },
        ] });
        await request(url).get('/sie-throw');
        await request(url).get('/sie-500');
        now += 2 * 60_000;
        fail = true;
        for (const path of ['/sie-throw', '/sie-500']) {
          const response = await request(url).get(path);
          expect([response.status, response.headers['x-cache'], response.text]).toEqual([200, 'STALE', 'good']);
        }
        now += 2 * 60 * 60_000;
        expect((await request(url).get('/sie-500')).status).toBe(500);
      });

      it('expires entries after ttl', async () => {
        const { route, calls } = counting('/ttl', ['1m']);
        const { url } = await start({ routes: [route] });
        await request(url).get('/ttl');
        now += 59_000;
        expect((await request(url).get('/ttl')).headers['x-cache']).toBe('HIT');
        now += 2_000;
        expect((await request(url).get('/ttl')).headers['x-cache']).toBe('MISS');
        expect(calls.n).toBe(2);
      });
    });

    describe('tags and clearing', () => {
      it('drops the entries of a tag with larder.invalidate()', async () => {
        const { route } = counting('/users/:id', [{ ttl: '5m', tags: (r: unknown) => [`user:${paramsOf(r).id}`] }]);
        const { url } = await start({ routes: [route] });
        await request(url).get('/users/1');
        await request(url).get('/users/2');
        await larder.invalidate('user:1');
        expect((await request(url).get('/users/1')).headers['x-cache']).toBe('MISS');
        expect((await request(url).get('/users/2')).headers['x-cache']).toBe('HIT');
      });

      it('drops everything the middleware stored with clear()', async () => {
        const { route } = counting('/c/:id', ['5m']);
        const running = await start({ routes: [route] });
        await request(running.url).get('/c/1');
        await running.middlewares[0]!.clear();
        expect((await request(running.url).get('/c/1')).headers['x-cache']).toBe('MISS');
      });
    });

    describe('fitting into an app', () => {
      it('works on routers mounted at a path, keyed by mount path and pattern', async () => {
        const { route } = counting('/items/:id', ['5m']);
        const { url } = await start({ prefix: '/api', routes: [route] });
        await request(url).get('/api/items/1');
        expect((await request(url).get('/api/items/1')).headers['x-cache']).toBe('HIT');
        expect(Object.keys(larder.stats())).toContain('GET /api/items/:id');
      });

      it('works in front of several routes with app-level use', async () => {
        const a = counting('/a', [undefined]);
        const b = counting('/b', [undefined]);
        delete a.route.cached;
        delete b.route.cached;
        const { url } = await start({ appLevelCached: ['5m'], routes: [a.route, b.route] });
        expect((await request(url).get('/a')).body.n).toBe(1);
        expect((await request(url).get('/b')).body.n).toBe(1);
        expect((await request(url).get('/a')).headers['x-cache']).toBe('HIT');
        expect([a.calls.n, b.calls.n]).toEqual([1, 1]);
      });

      it('serves normally and pollutes nothing on ?__proto__[x]=1&constructor[prototype][y]=1', async () => {
        const { route } = counting('/p', ['5m']);
        const { url } = await start({ routes: [route] });
        const response = await request(url).get('/p?__proto__[x]=1&constructor[prototype][y]=1&_z[__proto__][w]=1');
        expect(response.status).toBe(200);
        expect(({} as Record<string, unknown>).x).toBeUndefined();
        expect(({} as Record<string, unknown>).y).toBeUndefined();
        expect(({} as Record<string, unknown>).w).toBeUndefined();
        expect((await request(url).get('/p?__proto__[x]=1&constructor[prototype][y]=1')).headers['x-cache']).toBe('HIT');
      });

      it('answers promptly with 10,000 query parameters', async () => {
        const { route } = counting('/many', ['5m'], (_io, n) => ({ n }));
        const { url } = await start({ routes: [route] });
        const query = Array.from({ length: 10_000 }, (_, i) => `f${i}=${i}`).join('&');
        expect((await request(url).get(`/many?${query}`)).status).toBe(200);
        expect((await request(url).get(`/many?${query}`)).headers['x-cache']).toBe('HIT');
      });
    });

    describe('why a response was not cached', () => {
      it('names the reason in X-Larder-Reason when debugHeaders is on', async () => {
        const { url } = await start({ routes: [{ path: '/d', cached: [{ ttl: '1m', staleWhileRevalidate: '1h', debugHeaders: true }], handler: (io) => io.send('debug') }] });
        expect((await request(url).get('/d')).headers['x-larder-reason']).toBe('absent');
        expect((await request(url).get('/d').set('Authorization', 'Bearer x')).headers['x-larder-reason']).toBe('authorization');
        now += 2 * 60_000;
        expect((await request(url).get('/d')).headers['x-larder-reason']).toBe('stale-while-revalidate');
      });

      it('sends no X-Larder-Reason by default', async () => {
        const { url } = await start({ routes: [{ path: '/d', cached: ['1m'], handler: (io) => io.send('quiet') }] });
        expect((await request(url).get('/d')).headers['x-larder-reason']).toBeUndefined();
      });

      it.each([
        ['set-cookie', (io: Parameters<RouteSpec['handler']>[0]) => { io.set('Set-Cookie', 'a=1'); io.send('x'); }],
        ['status', (io: Parameters<RouteSpec['handler']>[0]) => { io.status(404); io.send('x'); }],
        ['cache-control-response', (io: Parameters<RouteSpec['handler']>[0]) => { io.set('Cache-Control', 'no-store'); io.send('x'); }],
        ['vary-star', (io: Parameters<RouteSpec['handler']>[0]) => { io.set('Vary', '*'); io.send('x'); }],
        ['guard', (io: Parameters<RouteSpec['handler']>[0]) => { io.header('x-anything'); io.send('x'); }],
      ])('reports %s as the reason of the bypass event when a response is not stored', async (reason, handler) => {
        const { url } = await start({ routes: [{ path: '/r', cached: ['5m'], handler }] });
        await request(url).get('/r');
        expect(events.some(([name, e]) => name === 'bypass' && e.reason === reason)).toBe(true);
        expect(unkeyedWarnings()).toHaveLength(reason === 'guard' ? 1 : 0);
      });
    });

    describe('when the store fails', () => {
      it('serves every request from the handler and emits error events', async () => {
        const broken = createLarder({ store: failingStore() });
        const errors: LarderEvent[] = [];
        broken.on('error', (e: LarderEvent) => errors.push(e));
        let n = 0;
        const running = await framework.start({ routes: [{ path: '/x', cached: ['5m', { larder: broken }], handler: (io) => io.send(`n=${++n}`) }] });
        app = running;
        expect((await request(running.url).get('/x')).text).toBe('n=1');
        expect((await request(running.url).get('/x')).text).toBe('n=2');
        expect(errors.length).toBeGreaterThan(0);
        await broken.close();
      });
    });
  });
}

function paramsOf(r: unknown): Record<string, string> {
  return (r as { params: Record<string, string> }).params;
}

function tenantOf(r: unknown): string | undefined {
  const headers = ((r as { headers?: Record<string, string> }).headers ?? (r as { request: { headers: Record<string, string> } }).request.headers);
  return headers['x-tenant'];
}

/** A store whose every operation fails, as an unreachable backend would. */
function failingStore() {
  const fail = () => Promise.reject(new Error('store unreachable'));
  return { kind: 'broken', get: fail, getMany: fail, set: fail, delete: fail, clear: fail, close: () => Promise.resolve() };
}
