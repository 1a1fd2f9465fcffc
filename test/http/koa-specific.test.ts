import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import compress from 'koa-compress';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cached, createLarder, provideLarder, type CachedOptions, type Larder, type LarderEvent } from '@larder/koa';
import { takeWarnings } from '../support/quiet.js';
import { closeServer, deferred, listen } from './harness.js';

/** Reads the raw bytes (supertest still decodes gzip, so equal bytes prove the same body). */
function raw(test: request.Test): request.Test {
  return test.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
}

describe('cached() with the rest of Koa', () => {
  let now: number;
  let larder: Larder;
  let server: Server | undefined;
  let events: Array<[string, LarderEvent]>;

  beforeEach(() => {
    now = 1_700_000_000_000;
    larder = createLarder({ clock: { now: () => now } });
    events = [];
    for (const name of ['set', 'bypass'] as const) larder.on(name, (e: LarderEvent) => events.push([name, e]));
  });
  afterEach(async () => {
    if (server) await closeServer(server);
    server = undefined;
    await larder.close();
  });

  /** `cached()` on this test's larder. */
  const cache = (options: CachedOptions<Context> = {}) => cached({ ttl: '5m', ...options, larder });

  /** Serves one router (after the given app middleware) over loopback. */
  function serve(router: Router, before: Koa.Middleware[] = [], app = new Koa()): Promise<string> {
    for (const middleware of before) app.use(middleware);
    app.use(router.routes());
    server = createServer(app.callback());
    return listen(server);
  }

  it('does not store a response that sets a cookie with ctx.cookies.set(), and says so without calling it a read', async () => {
    let runs = 0;
    const router = new Router();
    router.get('/login', cache(), (ctx) => {
      runs++;
      ctx.cookies.set('sid', 'abc');
      ctx.body = 'welcome';
    });
    const url = await serve(router);
    const first = await request(url).get('/login');
    const second = await request(url).get('/login');
    expect([first.headers['set-cookie'], second.headers['x-cache'], runs]).toEqual([['sid=abc; path=/; httponly'], 'MISS', 2]);
    expect(events.filter(([name]) => name === 'bypass').map(([, e]) => e.reason)).toEqual(['set-cookie', 'set-cookie']);
    // The quiet-test setup fails this test on any warning not taken: none is expected.
    expect(takeWarnings()).toEqual([]);
  });

  it('control: a handler that reads a cookie is refused by the guard, with its warning', async () => {
    const router = new Router();
    router.get('/hello', cache(), (ctx) => {
      ctx.body = `hello ${ctx.cookies.get('name') ?? 'stranger'}`;
    });
    const url = await serve(router);
    await request(url).get('/hello').set('Cookie', 'name=ann');
    expect(events.filter(([name]) => name === 'bypass').map(([, e]) => e.reason)).toEqual(['guard']);
    const codes = takeWarnings().map((w) => w.code);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['LARDER_UNKEYED_INPUT']));
  });

  it('makes the registry reachable as ctx.resources, one instance for every route', async () => {
    let opened = 0;
    larder.resources.register('db', () => ({ id: ++opened }));
    const router = new Router();
    router.get('/a', async (ctx) => { ctx.body = await ctx.resources.get('db'); });
    router.get('/b', async (ctx) => { ctx.body = await ctx.resources.get('db'); });
    const url = await serve(router, [provideLarder(larder)]);
    expect((await request(url).get('/a')).body).toEqual({ id: 1 });
    expect((await request(url).get('/b')).body).toEqual({ id: 1 });
  });

  it('does not replay headers that middleware in front of cached() sets on every request', async () => {
    let id = 0;
    const router = new Router();
    router.get('/r', cache(), (ctx) => { ctx.set('X-Route', 'own'); ctx.body = 'body'; });
    const url = await serve(router, [async (ctx: Context, next: Next) => { ctx.set('X-Request-Id', String(++id)); await next(); }]);
    expect((await request(url).get('/r')).headers['x-request-id']).toBe('1');
    const hit = await request(url).get('/r');
    expect([hit.headers['x-cache'], hit.headers['x-request-id'], hit.headers['x-route']]).toEqual(['HIT', '2', 'own']);
  });

  describe('when the body is a Readable', () => {
    it('reaches the client progressively on a miss and is replayed whole on a hit', async () => {
      const gate = deferred();
      const router = new Router().get('/feed', cache(), (ctx) => {
        ctx.type = 'text/plain';
        ctx.body = Readable.from((async function* () { yield 'first,'; await gate.promise; yield 'second'; })());
      });
      const url = await serve(router);
      const response = await fetch(`${url}/feed`);
      expect(response.headers.get('x-cache')).toBe('MISS');
      const reader = response.body!.getReader();
      const first = await reader.read();
      expect(Buffer.from(first.value!).toString()).toBe('first,');
      gate.resolve();
      let rest = '';
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += Buffer.from(chunk.value).toString();
      expect(rest).toBe('second');
      const hit = await request(url).get('/feed');
      expect([hit.headers['x-cache'], hit.text, hit.headers['content-length'], hit.headers['content-type']]).toEqual(['HIT', 'first,second', '12', 'text/plain; charset=utf-8']);
    });

    it('keeps a Content-Length the handler set for its stream', async () => {
      const router = new Router().get('/sized', cache(), (ctx) => {
        ctx.type = 'text/plain';
        ctx.length = 6;
        ctx.body = Readable.from(['ab', 'cd', 'ef']);
      });
      const url = await serve(router);
      const miss = await request(url).get('/sized');
      expect([miss.headers['content-length'], miss.headers['transfer-encoding'], miss.text]).toEqual(['6', undefined, 'abcdef']);
      expect((await request(url).get('/sized')).headers['x-cache']).toBe('HIT');
    });

    it('refreshes a large streamed body in the background (staleWhileRevalidate)', async () => {
      let n = 0;
      const refreshed = deferred();
      larder.on('set', () => n === 2 && refreshed.resolve());
      const router = new Router().get('/big', cache({ ttl: '1m', staleWhileRevalidate: '1h' }), (ctx) => {
        const version = ++n;
        ctx.type = 'text/plain';
        // Far beyond a socketless response's high-water mark: the refresh must not stall on backpressure.
        ctx.body = Readable.from(Array.from({ length: 64 }, () => `${version}`.repeat(4096)));
      });
      const url = await serve(router);
      await request(url).get('/big');
      now += 2 * 60_000;
      const stale = await request(url).get('/big');
      expect([stale.headers['x-cache'], stale.text[0]]).toEqual(['STALE', '1']);
      await refreshed.promise;
      const fresh = await request(url).get('/big');
      expect([fresh.headers['x-cache'], fresh.text.length, fresh.text[0]]).toEqual(['HIT', 64 * 4096, '2']);
    });
  });

  describe('when the body is null', () => {
    it('answers 204 and does not store it by default', async () => {
      let n = 0;
      const url = await serve(new Router().get('/none', cache(), (ctx) => { n++; ctx.body = null; }));
      const first = await request(url).get('/none');
      const second = await request(url).get('/none');
      expect([first.status, second.status, second.headers['x-cache'], n]).toEqual([204, 204, 'MISS', 2]);
    });

    it('stores and replays the 204 when 204 is in `statuses`', async () => {
      let n = 0;
      const url = await serve(new Router().get('/none', cache({ statuses: [200, 204] }), (ctx) => { n++; ctx.body = null; }));
      await request(url).get('/none');
      const hit = await request(url).get('/none');
      expect([hit.status, hit.headers['x-cache'], hit.text, hit.headers['content-type'], n]).toEqual([204, 'HIT', '', undefined, 1]);
    });

    it('does not store a status without a body, which Koa or an earlier middleware answers later', async () => {
      let n = 0;
      const notFoundPage: Koa.Middleware = async (ctx, next) => {
        await next();
        if (ctx.status === 404 && ctx.body == null) ctx.body = `custom 404 page ${n}`;
      };
      const router = new Router()
        .get('/ok', cache(), (ctx) => { n++; ctx.status = 200; })
        .get('/gone', cache({ statuses: [404] }), (ctx) => { n++; ctx.status = 404; });
      const url = await serve(router, [notFoundPage]);
      expect((await request(url).get('/ok')).text).toBe('OK');
      expect((await request(url).get('/ok')).headers['x-cache']).toBe('MISS');
      expect((await request(url).get('/gone')).text).toBe('custom 404 page 3');
      const again = await request(url).get('/gone');
      expect([again.status, again.text, again.headers['x-cache']]).toEqual([404, 'custom 404 page 4', 'MISS']);
      expect(events.filter(([name, e]) => name === 'bypass' && e.reason === 'incomplete-body')).toHaveLength(4);
    });
  });

  it('keeps koa-compress working in front of cached(): hits are compressed like misses', async () => {
    const body = { items: Array.from({ length: 100 }, (_, i) => ({ i, name: `item ${i}` })) };
    const url = await serve(new Router().get('/list', cache(), (ctx) => { ctx.body = body; }), [compress({ threshold: 0 })]);
    const miss = await raw(request(url).get('/list').set('Accept-Encoding', 'gzip'));
    const hit = await raw(request(url).get('/list').set('Accept-Encoding', 'gzip'));
    expect([miss.headers['content-encoding'], hit.headers['content-encoding'], hit.headers['x-cache'], hit.headers.vary]).toEqual(['gzip', 'gzip', 'HIT', 'Accept-Encoding']);
    expect((hit.body as Buffer).toString()).toBe(JSON.stringify(body));
    expect((miss.body as Buffer).toString()).toBe(JSON.stringify(body));
    const plain = await raw(request(url).get('/list').set('Accept-Encoding', 'identity'));
    expect([plain.headers['x-cache'], plain.headers['content-encoding'], (plain.body as Buffer).toString()]).toEqual(['HIT', undefined, JSON.stringify(body)]);
  });

  it('replays ctx.type = "text/css" byte-for-byte, Content-Type included', async () => {
    const css = 'body { color: #c0ffee; }\n/* ünïcödé */\n';
    const url = await serve(new Router().get('/site.css', cache(), (ctx) => { ctx.type = 'text/css'; ctx.body = css; }));
    const miss = await raw(request(url).get('/site.css'));
    const hit = await raw(request(url).get('/site.css'));
    expect(hit.headers['x-cache']).toBe('HIT');
    expect([miss.headers['content-type'], hit.headers['content-type']]).toEqual(['text/css; charset=utf-8', 'text/css; charset=utf-8']);
    expect((hit.body as Buffer).equals(Buffer.from(css))).toBe(true);
    expect(hit.headers['content-length']).toBe(String(Buffer.byteLength(css)));
  });

  it('replays object bodies as identical JSON with the JSON Content-Type', async () => {
    const value = { id: 7, tags: ['a', 'b'], nested: { ok: true, none: null }, text: 'café' };
    const url = await serve(new Router().get('/obj', cache(), (ctx) => { ctx.body = value; }));
    const miss = await raw(request(url).get('/obj'));
    const hit = await raw(request(url).get('/obj'));
    expect(hit.headers['x-cache']).toBe('HIT');
    expect((miss.body as Buffer).toString()).toBe(JSON.stringify(value));
    expect((hit.body as Buffer).equals(miss.body as Buffer)).toBe(true);
    for (const response of [miss, hit]) expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(hit.headers['content-length']).toBe(miss.headers['content-length']);
  });

  it('serves Blob and fetch Response bodies as Koa 3 does, without storing them', async () => {
    let n = 0;
    const router = new Router()
      .get('/blob', cache(), (ctx) => { ctx.body = new Blob([`blob ${++n}`], { type: 'text/plain' }); })
      .get('/proxied', cache(), (ctx) => { ctx.body = new Response(`upstream ${++n}`, { headers: { 'content-type': 'text/plain' } }); });
    const url = await serve(router);
    expect((await request(url).get('/blob')).text).toBe('blob 1');
    const again = await request(url).get('/blob');
    expect([again.text, again.headers['x-cache'], again.headers['content-type']]).toEqual(['blob 2', 'MISS', 'text/plain; charset=utf-8']);
    expect((await request(url).get('/proxied')).text).toBe('upstream 3');
    expect((await request(url).get('/proxied')).text).toBe('upstream 4');
    expect(events.filter(([name, e]) => name === 'bypass' && e.reason === 'incomplete-body')).toHaveLength(4);
  });

  describe('when the handler throws', () => {
    it('reaches Koa’s error handling with the same error object', async () => {
      const boom = new Error('boom');
      const app = new Koa();
      const reported: unknown[] = [];
      app.on('error', (error: unknown) => reported.push(error));
      const url = await serve(new Router().get('/boom', cache(), () => { throw boom; }), [], app);
      const first = await request(url).get('/boom');
      const second = await request(url).get('/boom');
      expect([first.status, first.text, second.status]).toEqual([500, 'Internal Server Error', 500]);
      expect(reported).toEqual([boom, boom]);
      expect(reported[0]).toBe(boom);
    });

    it('reaches an outer try/catch middleware unchanged', async () => {
      const caught: unknown[] = [];
      const boom = Object.assign(new Error('teapot'), { status: 418, detail: { why: 'short and stout' } });
      const outer: Koa.Middleware = async (ctx: Context, next: Next) => {
        try {
          await next();
        } catch (error) {
          caught.push(error);
          ctx.status = 418;
          ctx.body = 'caught';
        }
      };
      const url = await serve(new Router().get('/tea', cache(), () => { throw boom; }), [outer]);
      expect((await request(url).get('/tea')).text).toBe('caught');
      expect(caught[0]).toBe(boom);
    });

    it('does not store ctx.throw(404) by default', async () => {
      let n = 0;
      const url = await serve(new Router().get('/missing', cache(), (ctx) => { n++; ctx.throw(404, 'no such thing'); }));
      const first = await request(url).get('/missing');
      const second = await request(url).get('/missing');
      expect([first.status, first.text, second.status, n]).toEqual([404, 'no such thing', 404, 2]);
    });

    it('serves the stale copy with only the headers set before cached() when the handler fails within staleIfError', async () => {
      let fail = false;
      const cors: Koa.Middleware = async (ctx, next) => {
        ctx.set('Access-Control-Allow-Origin', '*');
        await next();
      };
      const url = await serve(new Router().get('/fragile', cache({ ttl: '1m', staleIfError: '1h' }), (ctx) => {
        if (fail) {
          ctx.set('Set-Cookie', 'half=done');
          throw new Error('database down');
        }
        ctx.body = 'good';
      }), [cors]);
      await request(url).get('/fragile');
      now += 2 * 60_000;
      fail = true;
      const stale = await request(url).get('/fragile');
      expect([stale.status, stale.text, stale.headers['x-cache'], stale.headers['set-cookie'], stale.headers['access-control-allow-origin']]).toEqual([200, 'good', 'STALE', undefined, '*']);
    });

    it('answers a thrown 4xx itself even within staleIfError: only failures are replaced by the stale copy', async () => {
      let gone = false;
      const url = await serve(new Router().get('/item', cache({ ttl: '1m', staleIfError: '1h' }), (ctx) => {
        if (gone) ctx.throw(404, 'deleted');
        ctx.body = 'item';
      }));
      await request(url).get('/item');
      now += 2 * 60_000;
      gone = true;
      const response = await request(url).get('/item');
      expect([response.status, response.text]).toEqual([404, 'deleted']);
    });
  });

  describe('the unkeyed-input guard', () => {
    it('does not store a response that read ctx.state.user, and names it in the warning', async () => {
      const login: Koa.Middleware = async (ctx, next) => {
        ctx.state.user = ctx.get('x-user') || undefined;
        await next();
      };
      const router = new Router().get('/hello', cache(), (ctx) => { ctx.body = `hello ${String(ctx.state.user ?? 'guest')}`; });
      const url = await serve(router, [login]);
      expect((await request(url).get('/hello').set('X-User', 'alice')).text).toBe('hello alice');
      const guest = await request(url).get('/hello');
      expect([guest.text, guest.headers['x-cache']]).toEqual(['hello guest', 'MISS']);
      expect(takeWarnings()).toEqual([expect.objectContaining({ code: 'LARDER_UNKEYED_INPUT', message: expect.stringContaining('per-request state (state.user)') })]);
    });

    it('ignores what Koa itself reads (ctx.fresh) and what middleware before cached() reads after it', async () => {
      const logger: Koa.Middleware = async (ctx, next) => {
        await next();
        ctx.set('X-Seen-By', ctx.get('user-agent') ? 'agent' : 'anonymous');
      };
      const router = new Router().get('/page', cache(), (ctx) => {
        ctx.body = 'page';
        if (ctx.fresh) ctx.status = 304;
      });
      const url = await serve(router, [logger]);
      await request(url).get('/page').set('User-Agent', 'test');
      expect((await request(url).get('/page')).headers['x-cache']).toBe('HIT');
      expect(takeWarnings()).toEqual([]);
    });
  });

  it('uses the app’s larder from ctx.larder (app.context.larder) when cached() names none', async () => {
    const app = new Koa();
    (app.context as { larder?: Larder }).larder = larder;
    const url = await serve(new Router().get('/own', cached('5m'), (ctx) => { ctx.body = 'mine'; }), [], app);
    await request(url).get('/own');
    expect((await request(url).get('/own')).headers['x-cache']).toBe('HIT');
    expect(events.some(([name]) => name === 'set')).toBe(true);
  });

  it('keys a route by its router layer, with the mount prefix', async () => {
    const router = new Router({ prefix: '/v1' }).get('/users/:id', cache(), (ctx) => { ctx.body = { id: ctx.params.id }; });
    const url = await serve(router);
    await request(url).get('/v1/users/1');
    expect((await request(url).get('/v1/users/1')).headers['x-cache']).toBe('HIT');
    expect(Object.keys(larder.stats())).toEqual(['GET /v1/users/:id']);
  });
});
