import parsePrometheus from 'parse-prometheus-text-format';
import request from 'supertest';
import { createServer } from 'node:http';
import express from 'express';
import Koa from 'koa';
import mount from 'koa-mount';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BadOptionError, createLarder } from '@larder/core';
import { larderInspector as expressInspector } from '@larder/express';
import { larderInspector as koaInspector } from '@larder/koa';
import { closeServer, listen } from '../http/harness.js';
import { FRAMEWORKS, MOUNT, TOKEN, type InspectedApp } from './apps.js';

const bearer = { Authorization: `Bearer ${TOKEN}` };
const FORM = 'application/x-www-form-urlencoded';

/** Known traffic: GET /users/:id misses twice, hits twice and bypasses once; loadReport misses once and hits once. */
async function knownTraffic(app: InspectedApp): Promise<void> {
  for (const path of ['/users/1', '/users/1', '/users/1', '/users/2', '/gone', '/report/eu', '/report/eu']) {
    await request(app.url).get(path).expect((res) => expect(res.status).toBeLessThan(500));
  }
  await request(app.url).get('/users/3').set('Authorization', 'Bearer someone').expect(200);
}

/** Logs in through the form, as a browser on the page would, and returns the session cookie. */
async function login(app: InspectedApp): Promise<string> {
  const res = await request(app.url).post(`${MOUNT}/login`).type('form').set('Origin', app.url).send({ token: TOKEN }).expect(303);
  return String(res.headers['set-cookie']![0]).split(';')[0]!;
}

describe.each(FRAMEWORKS)('larderInspector() on $name', (framework) => {
  let app: InspectedApp;
  beforeEach(async () => {
    app = await framework.start();
  });
  afterEach(() => app.close());

  describe('without the token', () => {
    const attempts: Array<[method: 'get' | 'post', path: string, headers: Record<string, string>]> = [
      ['get', '/', {}],
      ['get', '', {}],
      ['get', '/stats.json', {}],
      ['get', '/metrics', {}],
      ['get', '/no-such-page', {}],
      ['post', '/clear', {}],
      ['post', '/invalidate', {}],
      ['post', '/logout', {}],
      ['get', '/metrics', { Authorization: 'Bearer wrong-token' }],
      ['get', '/metrics', { Authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }],
      ['get', '/metrics', { Authorization: `Bearer ${TOKEN}x` }],
      ['get', '/metrics', { Cookie: `larder_inspector=${TOKEN}` }],
      ['get', '/metrics', { Cookie: `larder_inspector=${Date.now().toString(36)}.forged` }],
    ];

    it.each(attempts)('answers 401 to %s %s %j', async (method, path, headers) => {
      const res = await request(app.url)[method](`${MOUNT}${path}`).set(headers).expect(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).not.toContain('GET /users/:id');
    });

    it('does not act on a POST it refuses', async () => {
      await request(app.url).get('/users/1');
      await request(app.url).post(`${MOUNT}/clear`).type('form').send({ cache: 'GET /users/:id' }).expect(401);
      await request(app.url).get('/users/1').expect('X-Cache', 'HIT');
    });

    it('shows a browser the login form, with 401', async () => {
      const res = await request(app.url).get(`${MOUNT}/`).set('Accept', 'text/html').expect(401);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain(`action="${MOUNT}/login"`);
    });

    it('positive control: the same requests with the token succeed', async () => {
      await request(app.url).get(`${MOUNT}/metrics`).set(bearer).expect(200);
      await request(app.url).get(`${MOUNT}/stats.json`).set(bearer).expect(200);
    });
  });

  describe('with the token', () => {
    it('serves the page under a strict CSP whose nonce is the style element’s, and nothing external', async () => {
      await knownTraffic(app);
      const res = await request(app.url).get(`${MOUNT}/`).set(bearer).expect(200).expect('Content-Type', /^text\/html/);
      const csp = res.headers['content-security-policy'] as string;
      const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
      expect(csp).toMatch(/^default-src 'none';/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(nonce).toBeDefined();
      expect(res.text).toContain(`<style nonce="${nonce}">`);
      expect(res.text).not.toMatch(/<script|\sstyle="/);
      const targets = [...res.text.matchAll(/\s(?:href|src|action)="([^"]*)"/g)].map((m) => m[1]!);
      expect(targets.length).toBeGreaterThan(5);
      for (const target of targets) expect(target).toMatch(/^(\/_larder\/|data:)/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).toContain('data-cache="GET /users/:id"');
    });

    it('gives a fresh nonce to every page', async () => {
      const nonces = await Promise.all([1, 2].map(async () => (await request(app.url).get(`${MOUNT}/`).set(bearer)).headers['content-security-policy']));
      expect(nonces[0]).not.toBe(nonces[1]);
    });

    it('reports the numbers of known traffic in stats.json, with recent reasons in words', async () => {
      await knownTraffic(app);
      const res = await request(app.url).get(`${MOUNT}/stats.json`).set(bearer).expect(200).expect('Content-Type', /^application\/json/);
      const byName = Object.fromEntries(res.body.spaces.map((s: { cache: string }) => [s.cache, s]));
      expect(byName['GET /users/:id']).toMatchObject({ kind: 'http', hits: 2, misses: 2, bypasses: 1, stale: 0, errors: 0, entries: 2, hitRate: 0.5 });
      expect(byName['loadReport']).toMatchObject({ kind: 'data', hits: 1, misses: 1, entries: 1, hitRate: 0.5 });
      expect(byName['GET /gone']).toMatchObject({ misses: 1, bypasses: 0, entries: 0 });
      expect(byName['GET /users/:id'].recentReasons).toEqual([
        expect.objectContaining({ event: 'bypass', reason: 'authorization', count: 1, words: expect.stringContaining('Authorization') }),
        expect.objectContaining({ event: 'miss', reason: 'absent', count: 2 }),
      ]);
      expect(byName['GET /gone'].recentReasons.map((r: { reason: string }) => r.reason)).toEqual(['status', 'absent']);
    });

    it('serves Prometheus metrics that a parser reads back to the same numbers', async () => {
      await knownTraffic(app);
      const res = await request(app.url).get(`${MOUNT}/metrics`).set(bearer).expect(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      const families = new Map(parsePrometheus(res.text).map((family) => [family.name, family]));
      const sample = (name: string, cache: string) =>
        families.get(name)?.metrics.find((m) => m.labels?.cache === cache)?.value;
      expect(families.get('larder_hits_total')?.type).toBe('COUNTER');
      expect(families.get('larder_entries')?.type).toBe('GAUGE');
      expect(sample('larder_hits_total', 'GET /users/:id')).toBe('2');
      expect(sample('larder_misses_total', 'GET /users/:id')).toBe('2');
      expect(sample('larder_bypasses_total', 'GET /users/:id')).toBe('1');
      expect(sample('larder_hits_total', 'loadReport')).toBe('1');
      expect(families.get('larder_hits_total')?.metrics.find((m) => m.labels?.cache === 'loadReport')?.labels?.kind).toBe('data');
      expect(Number(sample('larder_compute_seconds_total', 'GET /users/:id'))).toBeGreaterThan(0);
    });

    it('clears a route: its next request misses, other caches keep their entries', async () => {
      await knownTraffic(app);
      const res = await request(app.url).post(`${MOUNT}/clear`).set(bearer).type('form').send({ cache: 'GET /users/:id', kind: 'http' }).expect(200);
      expect(res.body).toEqual({ ok: true, done: 'cleared', cache: 'GET /users/:id' });
      const before = app.runs.user;
      await request(app.url).get('/users/1').expect('X-Cache', 'MISS');
      expect(app.runs.user).toBe(before + 1);
      const reportRuns = app.runs.reportFn;
      await request(app.url).get('/report/eu').expect(200);
      expect(app.runs.reportFn).toBe(reportRuns);
    });

    it('clears a cacheData function by its name', async () => {
      await knownTraffic(app);
      await request(app.url).post(`${MOUNT}/clear`).set(bearer).type('form').send({ cache: 'loadReport' }).expect(200);
      const before = app.runs.reportFn;
      await request(app.url).get('/report/eu').expect(200);
      expect(app.runs.reportFn).toBe(before + 1);
    });

    it('says 404 for a cache that has not run', async () => {
      const res = await request(app.url).post(`${MOUNT}/clear`).set(bearer).type('form').send({ cache: 'GET /nothing' }).expect(404);
      expect(res.body.error).toContain('GET /nothing');
    });

    it('invalidates a tag: entries written with it miss next time', async () => {
      await request(app.url).get('/users/1').expect('X-Cache', 'MISS');
      await request(app.url).get('/users/1').expect('X-Cache', 'HIT');
      await request(app.url).post(`${MOUNT}/invalidate`).set(bearer).type('form').send({ tag: 'users' }).expect(200);
      await request(app.url).get('/users/1').expect('X-Cache', 'MISS');
    });

    it('clears every entry', async () => {
      await knownTraffic(app);
      await request(app.url).post(`${MOUNT}/clear`).set(bearer).type('form').send({ all: '1' }).expect(200);
      await request(app.url).get('/users/1').expect('X-Cache', 'MISS');
    });

    it('answers 405 to the wrong method and 404 to an unknown page', async () => {
      await request(app.url).post(`${MOUNT}/metrics`).set(bearer).expect(405).expect('Allow', 'GET, HEAD');
      await request(app.url).get(`${MOUNT}/clear`).set(bearer).expect(405).expect('Allow', 'POST');
      await request(app.url).get(`${MOUNT}/nope`).set(bearer).expect(404);
    });

    it('refuses a form body over 16 KiB', async () => {
      await request(app.url).post(`${MOUNT}/invalidate`).set(bearer).type('form').send({ tag: 'x'.repeat(20_000) }).expect(413);
    });
  });

  describe('the login form', () => {
    it('sets an HttpOnly, SameSite=Strict cookie scoped to the mount, which is not the token', async () => {
      const res = await request(app.url).post(`${MOUNT}/login`).type('form').set('Origin', app.url).send({ token: TOKEN }).expect(303);
      expect(res.headers.location).toBe(`${MOUNT}/`);
      const cookie = String(res.headers['set-cookie']![0]);
      expect(cookie).toMatch(/^larder_inspector=[^;]+; Path=\/_larder; HttpOnly; SameSite=Strict; Max-Age=43200$/);
      expect(cookie).not.toContain(TOKEN);
      expect(cookie).not.toContain('Secure');
    });

    it('opens every page with that cookie', async () => {
      const cookie = await login(app);
      await request(app.url).get(`${MOUNT}/stats.json`).set('Cookie', cookie).expect(200);
      await request(app.url).get(`${MOUNT}/metrics`).set('Cookie', cookie).expect(200);
    });

    it('answers a wrong token with 401 and no cookie', async () => {
      const res = await request(app.url).post(`${MOUNT}/login`).type('form').set('Origin', app.url).send({ token: 'guess' }).expect(401);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.text).toContain('That is not the token');
    });

    it('logs out: the cookie is removed', async () => {
      const cookie = await login(app);
      const res = await request(app.url).post(`${MOUNT}/logout`).set('Cookie', cookie).set('Origin', app.url).expect(303);
      expect(String(res.headers['set-cookie']![0])).toMatch(/^larder_inspector=; .*Max-Age=0/);
    });
  });

  describe('cross-origin actions', () => {
    it.each([
      ['another Origin', { Origin: 'http://attacker.example' }],
      ['Origin null', { Origin: 'null' }],
      ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'Sec-Fetch-Site': 'same-site' }],
      ['no Origin and no Sec-Fetch-Site with a cookie', {}],
    ])('refuses a clear with the session cookie and %s', async (_label, headers) => {
      const cookie = await login(app);
      await request(app.url).get('/users/1');
      await request(app.url).post(`${MOUNT}/clear`).set('Cookie', cookie).set(headers).type('form').send({ cache: 'GET /users/:id' }).expect(403);
      await request(app.url).get('/users/1').expect('X-Cache', 'HIT');
    });

    it('refuses a cross-site bearer request too', async () => {
      await request(app.url).post(`${MOUNT}/invalidate`).set(bearer).set('Sec-Fetch-Site', 'cross-site').type('form').send({ tag: 'users' }).expect(403);
    });

    it('refuses a cross-origin login', async () => {
      await request(app.url).post(`${MOUNT}/login`).type('form').set('Origin', 'http://attacker.example').send({ token: TOKEN }).expect(403);
    });

    it('positive control: the same clear from the page itself goes through and redirects back', async () => {
      const cookie = await login(app);
      await request(app.url).get('/users/1');
      const res = await request(app.url)
        .post(`${MOUNT}/clear`)
        .set({ Cookie: cookie, Origin: app.url, 'Sec-Fetch-Site': 'same-origin', Accept: 'text/html' })
        .type('form')
        .send({ cache: 'GET /users/:id', kind: 'http' })
        .expect(303);
      expect(res.headers.location).toBe(`${MOUNT}/?done=cleared&cache=GET+%2Fusers%2F%3Aid`);
      await request(app.url).get('/users/1').expect('X-Cache', 'MISS');
      const page = await request(app.url).get(res.headers.location!).set('Cookie', cookie).expect(200);
      expect(page.text).toContain('Cleared GET /users/:id.');
    });
  });

  describe('mounted in an app', () => {
    it('leaves the other routes alone', async () => {
      const res = await request(app.url).get('/plain').expect(200, 'plain');
      expect(res.headers['content-security-policy']).toBeUndefined();
      await request(app.url).get(`${MOUNT}x/stats.json`).expect(404);
    });
  });
});

describe('larderInspector() mounted below another mount', () => {
  const larder = createLarder();
  afterAll(() => larder.close());

  async function linksOf(handler: Parameters<typeof createServer>[1]): Promise<string[]> {
    const server = createServer(handler);
    const url = await listen(server);
    try {
      const res = await request(url).get('/ops/cache/').set(bearer).expect(200);
      await request(url).get('/ops/cache/metrics').set(bearer).expect(200);
      return [...res.text.matchAll(/\s(?:href|action)="([^"]*)"/g)].map((m) => m[1]!);
    } finally {
      await closeServer(server);
    }
  }

  it('links to its full path on Express (a router inside a router)', async () => {
    const app = express();
    const ops = express.Router();
    ops.use('/cache', expressInspector({ token: TOKEN, larder }));
    app.use('/ops', ops);
    for (const link of await linksOf(app)) expect(link).toMatch(/^\/ops\/cache\/|^data:/);
  });

  it('links to its full path on Koa (koa-mount inside koa-mount)', async () => {
    const app = new Koa();
    app.use(mount('/ops', mount('/cache', koaInspector({ token: TOKEN, larder }))));
    for (const link of await linksOf(app.callback())) expect(link).toMatch(/^\/ops\/cache\/|^data:/);
  });
});

describe('larderInspector() options', () => {
  it.each([
    ['Express', expressInspector],
    ['Koa', koaInspector],
  ] as const)('on %s, requires a token and rejects unknown options', (_name, larderInspector) => {
    const inspector = larderInspector as (options?: unknown) => unknown;
    expect(() => inspector()).toThrow(BadOptionError);
    expect(() => inspector({})).toThrow(/Invalid option 'token'/);
    expect(() => inspector({ token: '' })).toThrow(/Invalid option 'token'/);
    expect(() => inspector({ token: undefined })).toThrow(/is the environment variable set/);
    expect(() => inspector({ token: TOKEN, path: '/_larder' })).toThrow(/Invalid option 'path': unknown option/);
    expect(() => inspector({ token: TOKEN, larder: {} })).toThrow(/Invalid option 'larder'/);
    expect(() => inspector({ token: TOKEN })).not.toThrow();
  });
});
