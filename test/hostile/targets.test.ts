/**
 * The request target, attacked two ways.
 * Invariant 1: unkeyed parts of the URL (`_` fields, excluded fields, fields past the parser's limit,
 * a fragment) never reach a handler that reads the raw URL — it is shown the target the key holds.
 * Invariant 2: the key holds the path as the handler sees it, so case variants, the paths of an array
 * route and of a regular expression never share an entry, and an absolute-form target is never
 * stored under Host.
 */
import { parse } from 'node:querystring';
import { describe, expect, it } from 'vitest';
import { arena, frameworks, get, marker, rawRequest, type Native } from './support.js';

type Reader = (native: Native) => string;
const both = (express: (native: Extract<Native, { kind: 'express' }>) => string, koa: (native: Extract<Native, { kind: 'koa' }>) => string): Reader =>
  (native) => (native.kind === 'express' ? express(native) : koa(native));

const readers: Array<{ name: string; read: Reader; front?: (native: Native) => void }> = [
  { name: 'req.originalUrl / ctx.originalUrl', read: both(({ req }) => req.originalUrl, ({ ctx }) => ctx.originalUrl) },
  { name: 'req.url / ctx.url', read: both(({ req }) => req.url, ({ ctx }) => ctx.url) },
  { name: 'a URL built from the target / ctx.href', read: both(({ req }) => new URL(req.originalUrl, 'http://x.test').search, ({ ctx }) => ctx.href) },
  {
    name: 'the query parsed again, without a limit / ctx.querystring and ctx.search',
    read: both(({ req }) => JSON.stringify(parse(req.originalUrl.split('?')[1] ?? '', '&', '=', { maxKeys: 0 })), ({ ctx }) => `${ctx.querystring} ${ctx.search} ${JSON.stringify(ctx.query)}`),
  },
  {
    name: 'a URL a logger in front memoized (ctx.URL) / parsed by the handler',
    front: (native) => void (native.kind === 'koa' ? native.ctx.URL : native.req.originalUrl),
    read: both(({ req }) => new URLSearchParams(req.originalUrl.split('?')[1] ?? '').toString(), ({ ctx }) => ctx.URL.search),
  },
];

/** Limit of fields Node's querystring and qs parse by default: the rest never reaches the key. */
const many = Array.from({ length: 1_000 }, (_, i) => `f${i}=${i}`).join('&');

/** `parsed`: the framework's parser may keep the field (Koa 3 has no limit): then it is keyed, and seen. */
const payloads: Array<{ name: string; attack: (m: string) => string; victim: string; exclude?: string[]; parsed?: boolean }> = [
  { name: 'a `_`-prefixed field', attack: (m) => `/page?x=1&_cb=${m}`, victim: '/page?x=1' },
  { name: 'an excluded field', attack: (m) => `/page?x=1&utm_source=${m}`, victim: '/page?x=1', exclude: ['query.utm_source'] },
  { name: "a field past the parser's limit", attack: (m) => `/page?${many}&late=${m}`, victim: `/page?${many}`, parsed: true },
];

for (const framework of frameworks) {
  describe(`the request target on ${framework.name}`, () => {
    const ring = arena(framework);

    describe.each(readers)('read through $name', ({ read, front }) => {
      describe.each(payloads)('carrying $name', ({ attack, victim, exclude, parsed }) => {
        it('is never seen by the handler, and the entry it shares with a plain request stays clean', async () => {
          const planted = marker();
          const handler = (io: { native: Native; send(body: string): void }) => io.send(`seen: ${read(io.native)}`);
          const { url } = await ring.start({ front: front ? [front] : [], routes: [{ path: '/page', cached: [{ ttl: '5m', exclude }], handler }] });
          const attacker = await get(`${url}${attack(planted)}`);
          const visitor = await get(`${url}${victim}`);
          expect(visitor.text).not.toContain(planted);
          // Seen only where the parser kept the field: then it is keyed, and the plain request has an entry of its own.
          const keyed = parsed === true && visitor.cache === 'MISS';
          expect([attacker.text.includes(planted), visitor.cache]).toEqual(keyed ? [true, 'MISS'] : [false, 'HIT']);
        });

        it('control: without cached(), the same read carries the planted value', async () => {
          const planted = marker();
          const { url } = await ring.start({ front: front ? [front] : [], routes: [{ path: '/page', handler: (io) => io.send(`seen: ${read(io.native)}`) }] });
          expect((await get(`${url}${attack(planted)}`)).text).toContain(planted);
        });
      });
    });

    it('drops a fragment sent on the wire from what the handler reads', async () => {
      const planted = marker();
      const read = both(({ req }) => req.originalUrl, ({ ctx }) => ctx.href);
      const { url } = await ring.start({ routes: [
        { path: '/frag', cached: ['5m'], handler: (io) => io.send(`seen: ${read(io.native)}`) },
        { path: '/raw', handler: (io) => io.send(`seen: ${read(io.native)}`) },
      ] });
      const host = new URL(url).host;
      expect(await rawRequest(url, `GET /raw?x=1#${planted} HTTP/1.1\r\nHost: ${host}`)).toContain(planted); // control
      expect(await rawRequest(url, `GET /frag?x=1#${planted} HTTP/1.1\r\nHost: ${host}`)).not.toContain(planted);
      const visitor = await get(`${url}/frag?x=1`);
      expect([visitor.cache, visitor.text.includes(planted)]).toEqual(['HIT', false]);
    });

    it('gives the handler back nothing but the canonical target while it runs, and the received one afterwards', async () => {
      let after = '';
      const { url } = await ring.start({
        front: [async (native) => {
          if (native.kind === 'koa') {
            await Promise.resolve();
            native.ctx.res.once('finish', () => (after = native.ctx.originalUrl));
          } else native.res.once('finish', () => (after = native.req.originalUrl));
        }],
        routes: [{ path: '/p', cached: ['5m'], handler: (io) => io.send(both(({ req }) => req.originalUrl, ({ ctx }) => ctx.originalUrl)(io.native)) }],
      });
      expect((await get(`${url}/p?b=2&_x=1&a=%41`)).text).toBe('/p?b=2&a=A');
      expect(after).toBe('/p?b=2&_x=1&a=%41');
    });

    describe('keys', () => {
      const path = both(({ req }) => `${req.baseUrl}${req.path}`, ({ ctx }) => ctx.path);

      it.each([
        ['case variants under case-insensitive routing', '/docs', ['/DOCS', '/Docs', '/docs']],
        ['a trailing slash', '/docs', ['/docs/', '/docs']],
        ['the paths of an array route', ['/en/home', '/fr/home'], ['/fr/home', '/en/home']],
        ['the paths a regular expression matches', /^\/(?:a|b)\.html$/, ['/b.html', '/a.html']],
      ])('never share an entry: %s', async (_label, route, paths) => {
        let n = 0;
        const { url } = await ring.start({ routes: [{ path: route as string, cached: ['5m'], handler: (io) => io.send(`${path(io.native)} #${++n}`) }] });
        const first = await Promise.all(paths.map(async (p) => (await get(`${url}${p}`)).text));
        // Control: one handler answers every variant, and differently, so a shared entry would be visible.
        expect(new Set(first.map((text) => text.split(' #')[0])).size).toBe(paths.length);
        for (const [i, p] of paths.entries()) {
          const again = await get(`${url}${p}`);
          expect([again.cache, again.text]).toEqual(['HIT', first[i]]);
        }
      });

      it('never share an entry: a mount path in another case', async () => {
        const { url } = await ring.start({ prefix: '/api', routes: [{ path: '/items', cached: ['5m'], handler: (io) => io.send(both(({ req }) => req.originalUrl, ({ ctx }) => ctx.originalUrl)(io.native)) }] });
        const upper = await get(`${url}/API/items`);
        const lower = await get(`${url}/api/items`);
        expect([upper.status, upper.text, lower.cache, lower.text]).toEqual([200, '/API/items', 'MISS', '/api/items']);
      });

      it('key every value of a repeated `vary` header, not only the one Node keeps in req.headers', async () => {
        const planted = marker();
        const read = both(({ req }) => req.headersDistinct['user-agent']!.join(' | '), ({ ctx }) => ctx.req.headersDistinct['user-agent']!.join(' | '));
        const { url } = await ring.start({ routes: [{ path: '/ua', cached: [{ ttl: '5m', vary: ['user-agent'] }], handler: (io) => io.send(`agents: ${read(io.native)}`) }] });
        const host = new URL(url).host;
        const attacker = await rawRequest(url, `GET /ua HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: browser/1\r\nUser-Agent: ${planted}`);
        expect(attacker).toContain(planted); // control: the handler does see the second value
        const victim = await rawRequest(url, `GET /ua HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: browser/1`);
        expect(victim).not.toContain(planted);
        expect(await rawRequest(url, `GET /ua HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: browser/1`)).toMatch(/x-cache: HIT/i);
      });

      it('never stores a response to a request with two Host fields', async () => {
        const planted = marker();
        const read = both(({ req }) => req.rawHeaders.filter((_, i) => i % 2 === 1).join(' '), ({ ctx }) => ctx.req.rawHeaders.filter((_, i) => i % 2 === 1).join(' '));
        const { url } = await ring.start({ routes: [{ path: '/hosts', cached: ['5m'], handler: (io) => io.send(`seen: ${read(io.native)}`) }] });
        const attacker = await rawRequest(url, `GET /hosts HTTP/1.1\r\nHost: victim.test\r\nHost: ${planted}.test`);
        expect(attacker).toContain(planted); // control: the second Host reaches the handler
        const victim = await rawRequest(url, 'GET /hosts HTTP/1.1\r\nHost: victim.test');
        expect(victim).not.toContain(planted);
        expect(ring.events.some(([name, e]) => name === 'bypass' && e.reason === 'ambiguous-host')).toBe(true);
      });

      it('never stores an absolute-form target under Host', async () => {
        const read = both(({ req }) => `${req.originalUrl} ${req.hostname}`, ({ ctx }) => `${ctx.href} ${ctx.host}`);
        const { url } = await ring.start({ routes: [{ path: '/page', cached: ['5m'], handler: (io) => io.send(`links to ${read(io.native)}`) }] });
        const poisoned = await rawRequest(url, 'GET http://evil.test/page HTTP/1.1\r\nHost: victim.test');
        // Control: the handler does see the foreign authority; stored under Host it would reach the victim.
        expect(poisoned).toContain('evil.test');
        expect(poisoned).toMatch(/x-cache: BYPASS/i);
        const victim = await rawRequest(url, 'GET /page HTTP/1.1\r\nHost: victim.test');
        expect(victim).not.toContain('evil.test');
        expect(ring.events.some(([name, e]) => name === 'bypass' && e.reason === 'absolute-form')).toBe(true);
      });
    });
  });
}
