/**
 * Invariant 1: a stored response never depends on unkeyed input. The attacker plants a value in
 * something the key does not hold (a header read through another door, a value a logger memoized,
 * state that middleware in front attached); the victim, who sent nothing, must not get it.
 * Each attack has its control: the same attack with the read declared harmless (`unkeyed`) does
 * reach the victim, so the test would see a leak if the guard missed it.
 */
import { describe, expect, it } from 'vitest';
import { arena, frameworks, frontHeader, get, marker, type Native } from './support.js';

type Reader = (native: Native) => unknown;

interface Attack {
  name: string;
  /** Request headers that carry the attacker's value (`$` is replaced by the marker). */
  headers: Record<string, string>;
  trustProxy?: boolean;
  /** Middleware in front of cached(): turns the attacker's headers into per-request state. */
  front?: (native: Native) => void;
  /** What the handler reflects into the page. */
  read: Reader;
  /** The inputs `unkeyed` declares harmless in the control. */
  relax: { express: string[]; koa: string[] };
}

const both = (express: (native: Extract<Native, { kind: 'express' }>) => unknown, koa: (native: Extract<Native, { kind: 'koa' }>) => unknown): Reader =>
  (native) => (native.kind === 'express' ? express(native) : koa(native));
const same = (inputs: string[]) => ({ express: inputs, koa: inputs });

/** Sets per-request state in front of cached(), from the attacker's `x-token` header. */
const fromToken = (set: (native: Native, token: string | undefined) => void) => (native: Native) => set(native, frontHeader(native, 'x-token'));

const attacks: Attack[] = [
  {
    name: 'a header looked up in req.rawHeaders',
    headers: { 'X-Evil': '$' },
    read: both(({ req }) => req.rawHeaders[req.rawHeaders.findIndex((h) => h.toLowerCase() === 'x-evil') + 1], ({ ctx }) => ctx.req.rawHeaders[ctx.req.rawHeaders.findIndex((h) => h.toLowerCase() === 'x-evil') + 1]),
    relax: same(['x-evil']),
  },
  {
    name: 'a header read from req.headersDistinct',
    headers: { 'X-Evil': '$' },
    read: both(({ req }) => req.headersDistinct['x-evil']?.[0], ({ ctx }) => ctx.req.headersDistinct['x-evil']?.[0]),
    relax: same(['x-evil']),
  },
  {
    name: 'every header, enumerated',
    headers: { 'X-Evil': '$' },
    read: both(({ req }) => JSON.stringify(req.headers), ({ ctx }) => JSON.stringify(ctx.request.headers)),
    relax: same(['x-evil', 'accept', 'accept-language', 'sec-fetch-mode', 'user-agent']),
  },
  {
    name: 'X-Forwarded-Host through the host getters',
    headers: { 'X-Forwarded-Host': '$.evil.test' },
    trustProxy: true,
    read: both(({ req }) => `${req.hostname} ${req.subdomains.join('.')}`, ({ ctx }) => `${ctx.origin} ${ctx.href}`),
    relax: { express: ['x-forwarded-host'], koa: ['x-forwarded-host', 'x-forwarded-proto', 'origin'] },
  },
  {
    name: 'X-Forwarded-Proto through req.protocol / ctx.protocol',
    headers: { 'X-Forwarded-Proto': '$' },
    trustProxy: true,
    read: both(({ req }) => `${req.protocol} ${String(req.secure)}`, ({ ctx }) => `${ctx.protocol} ${String(ctx.secure)}`),
    relax: same(['x-forwarded-proto']),
  },
  {
    name: 'the client address a logger in front memoized from X-Forwarded-For',
    headers: { 'X-Forwarded-For': '$' },
    trustProxy: true,
    front: (native) => void (native.kind === 'express' ? native.req.ip : native.ctx.ip),
    read: both(({ req }) => `${req.ip} ${req.ips.join(',')}`, ({ ctx }) => `${ctx.ip} ${ctx.request.ip}`),
    relax: same(['ip', 'x-forwarded-for']),
  },
  {
    name: 'req.auth (express-jwt) / ctx.state.auth (koa-jwt with a custom key)',
    headers: { 'X-Token': '$' },
    front: fromToken((native, token) => {
      if (!token) return;
      if (native.kind === 'express') (native.req as unknown as { auth: unknown }).auth = { sub: token };
      else native.ctx.state.auth = { sub: token };
    }),
    read: both(({ req }) => (req as unknown as { auth?: { sub: string } }).auth?.sub, ({ ctx }) => (ctx.state.auth as { sub: string } | undefined)?.sub),
    relax: { express: ['auth'], koa: ['state.auth'] },
  },
  {
    name: 'res.locals.user / ctx.state.user set by middleware in front',
    headers: { 'X-Token': '$' },
    front: fromToken((native, token) => {
      if (native.kind === 'express') native.res.locals.user = token;
      else native.ctx.state.user = token;
    }),
    read: both(({ res }) => res.locals.user, ({ ctx }) => ctx.state.user),
    relax: { express: ['res.locals.user'], koa: ['state.user'] },
  },
  {
    name: 'a property of any name that middleware in front attached (req.tenant / ctx.tenant)',
    headers: { 'X-Token': '$' },
    front: fromToken((native, token) => {
      if (native.kind === 'express') (native.req as unknown as { tenant?: string }).tenant = token;
      else (native.ctx as unknown as { tenant?: string }).tenant = token;
    }),
    read: both(({ req }) => (req as unknown as { tenant?: string }).tenant, ({ ctx }) => (ctx as unknown as { tenant?: string }).tenant),
    relax: same(['tenant']),
  },
  {
    name: 'a translation function bound to the visitor’s language (req.t / ctx.request.lang)',
    headers: { 'X-Token': '$' },
    front: fromToken((native, token) => {
      const lang = token ?? 'en';
      if (native.kind === 'express') (native.req as unknown as { t: (key: string) => string }).t = (key) => `${key}:${lang}`;
      else (native.ctx.request as unknown as { lang: string }).lang = lang;
    }),
    read: both(({ req }) => (req as unknown as { t: (key: string) => string }).t('welcome'), ({ ctx }) => (ctx.request as unknown as { lang: string }).lang),
    relax: { express: ['t'], koa: ['lang'] },
  },
  {
    name: 'every value in res.locals / ctx.state, copied wholesale as a template engine does',
    headers: { 'X-Token': '$' },
    front: fromToken((native, token) => {
      if (native.kind === 'express') native.res.locals.theme = token ?? 'light';
      else native.ctx.state.theme = token ?? 'light';
    }),
    read: both(({ res }) => JSON.stringify({ ...res.locals }), ({ ctx }) => JSON.stringify({ ...ctx.state })),
    relax: { express: ['locals.theme', 'locals.user'], koa: ['state.theme', 'state.user'] },
  },
  {
    name: 'signed cookies / ctx.cookies',
    headers: { Cookie: 'sid=$' },
    front: (native) => {
      if (native.kind === 'express') (native.req as unknown as { signedCookies: unknown }).signedCookies = { sid: /sid=([^;]+)/.exec(frontHeader(native, 'cookie') ?? '')?.[1] };
    },
    read: both(({ req }) => (req as unknown as { signedCookies: { sid?: string } }).signedCookies.sid, ({ ctx }) => ctx.cookies.get('sid')),
    relax: { express: ['signedCookies'], koa: ['cookies', 'cookie'] },
  },
  {
    name: 'the session',
    headers: { 'X-Token': '$' },
    front: fromToken((native, token) => {
      const session = { user: token };
      if (native.kind === 'express') (native.req as unknown as { session: unknown }).session = session;
      else (native.ctx as unknown as { session: unknown }).session = session;
    }),
    read: both(({ req }) => (req as unknown as { session: { user?: string } }).session.user, ({ ctx }) => (ctx as unknown as { session: { user?: string } }).session.user),
    relax: same(['session']),
  },
];

for (const framework of frameworks) {
  describe(`unkeyed input on ${framework.name}`, () => {
    const ring = arena(framework);
    const kind = framework.name.startsWith('Express') ? 'express' : 'koa';

    async function plantThenVisit(attack: Attack, unkeyed: string[] | undefined): Promise<{ planted: string; attacker: string; victim: Awaited<ReturnType<typeof get>> }> {
      const planted = marker();
      const { url } = await ring.start({
        trustProxy: attack.trustProxy,
        front: attack.front ? [attack.front] : [],
        routes: [{ path: '/page', cached: [{ ttl: '5m', ...(unkeyed ? { unkeyed } : {}) }], handler: (io) => io.send(`page: ${String(attack.read(io.native))}`) }],
      });
      const headers = Object.fromEntries(Object.entries(attack.headers).map(([name, value]) => [name, value.replace('$', planted)]));
      const attacker = await get(`${url}/page`, { headers });
      const victim = await get(`${url}/page`);
      return { planted, attacker: attacker.text, victim };
    }

    describe.each(attacks)('$name', (attack) => {
      it('never reaches another visitor', async () => {
        const { planted, attacker, victim } = await plantThenVisit(attack, undefined);
        expect(attacker.toLowerCase()).toContain(planted.toLowerCase()); // the read does carry the attacker's value
        expect(victim.text).not.toContain(planted);
        expect(victim.text.toLowerCase()).not.toContain(planted.toLowerCase());
        expect(victim.cache).toBe('MISS');
        expect(ring.events.some(([name, e]) => name === 'bypass' && e.reason === 'guard')).toBe(true);
      });

      it('control: declared harmless, the planted value does reach the next visitor', async () => {
        const { planted, victim } = await plantThenVisit(attack, attack.relax[kind]);
        expect(ring.warnings).toEqual([]);
        expect(victim.cache).toBe('HIT');
        expect(victim.text.toLowerCase()).toContain(planted.toLowerCase());
      });
    });

    describe("the client's own address, read from the socket", () => {
      const read = both(({ req }) => req.socket.remoteAddress, ({ ctx }) => `${ctx.req.socket.remoteAddress} ${ctx.request.socket.remotePort}`);

      it('is never stored', async () => {
        const { url } = await ring.start({ routes: [{ path: '/ip', cached: ['5m'], handler: (io) => io.send(`you are ${String(read(io.native))}`) }] });
        await get(`${url}/ip`);
        expect((await get(`${url}/ip`)).cache).toBe('MISS');
        expect(ring.warnings.some((w) => w.includes("client's address (ip)"))).toBe(true);
      });

      it('control: declared harmless, it is stored', async () => {
        const { url } = await ring.start({ routes: [{ path: '/ip', cached: [{ ttl: '5m', unkeyed: ['ip'] }], handler: (io) => io.send(`you are ${String(read(io.native))}`) }] });
        await get(`${url}/ip`);
        expect((await get(`${url}/ip`)).cache).toBe('HIT');
      });
    });

    describe('nested cached() (app-level and route-level)', () => {
      it('both guards see state that middleware in front attached', async () => {
        const planted = marker();
        const { url } = await ring.start({
          front: [fromToken((native, token) => { if (native.kind === 'express') (native.req as unknown as { tenant?: string }).tenant = token; else (native.ctx as unknown as { tenant?: string }).tenant = token; })],
          appLevelCached: ['5m'],
          routes: [{ path: '/nested', cached: ['5m'], handler: (io) => io.send(`tenant ${String(io.native.kind === 'express' ? (io.native.req as unknown as { tenant?: string }).tenant : (io.native.ctx as unknown as { tenant?: string }).tenant)}`) }],
        });
        await get(`${url}/nested`, { headers: { 'X-Token': planted } });
        expect((await get(`${url}/nested`)).text).not.toContain(planted);
      });
    });
  });
}
