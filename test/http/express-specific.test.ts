import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createServer, type Server } from 'node:http';
import express from 'express';
import express4 from 'express4';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { cached, createLarder, provideLarder, type Larder } from '@larder/express';
import { closeServer, listen } from './harness.js';

const versions = [['Express 5', express], ['Express 4', express4 as unknown as typeof express]] as const;

describe.each(versions)('cached() with the rest of %s', (_name, expressModule) => {
  let server: Server | undefined;
  let larder: Larder | undefined;
  afterEach(async () => {
    if (server) await closeServer(server);
    await larder?.close();
    server = undefined;
  });
  function serve(app: express.Express): Promise<string> {
    server = createServer(app);
    return listen(server);
  }

  it('makes the registry reachable from handlers as req.resources, one instance for every route', async () => {
    larder = createLarder();
    let opened = 0;
    larder.resources.register('db', () => ({ id: ++opened }));
    const app = expressModule();
    app.use(provideLarder(larder));
    app.get('/a', async (req, res) => { res.json(await req.resources.get('db')); });
    app.get('/b', async (req, res) => { res.json(await req.resources.get('db')); });
    const url = await serve(app);
    expect((await request(url).get('/a')).body).toEqual({ id: 1 });
    expect((await request(url).get('/b')).body).toEqual({ id: 1 });
    expect(app.locals.larder).toBe(larder);
  });

  it('caches with the larder installed by provideLarder() when cached() names none', async () => {
    larder = createLarder();
    const app = expressModule();
    app.use(provideLarder(larder));
    app.get('/p', cached('5m'), (_req, res) => { res.send('provided'); });
    const url = await serve(app);
    await request(url).get('/p');
    expect((await request(url).get('/p')).headers['x-cache']).toBe('HIT');
    expect(larder.stats()['GET /p']?.hits).toBe(1);
  });

  it('does not replay headers that middleware in front of cached() sets on every request', async () => {
    larder = createLarder();
    let id = 0;
    const app = expressModule();
    app.use((_req, res, next) => { res.setHeader('X-Request-Id', String(++id)); next(); });
    app.get('/r', cached('5m', { larder }), (_req, res) => { res.setHeader('X-Route', 'own'); res.send('body'); });
    const url = await serve(app);
    expect((await request(url).get('/r')).headers['x-request-id']).toBe('1');
    const hit = await request(url).get('/r');
    expect([hit.headers['x-cache'], hit.headers['x-request-id'], hit.headers['x-route']]).toEqual(['HIT', '2', 'own']);
  });

  it('refreshes a large streamed body in the background (a detached response never stalls)', async () => {
    let now = 1_700_000_000_000;
    larder = createLarder({ clock: { now: () => now } });
    const stored = new Promise<void>((resolve) => larder!.on('set', () => resolve()));
    let n = 0;
    const app = expressModule();
    app.get('/big', cached({ ttl: '1m', staleWhileRevalidate: '1h', larder }), (_req, res) => {
      const version = ++n;
      res.type('text/plain');
      Readable.from((function* () { for (let i = 0; i < 64; i++) yield `${version}`.repeat(4096); })()).pipe(res);
    });
    const url = await serve(app);
    await request(url).get('/big');
    await stored;
    now += 2 * 60_000;
    const refreshed = new Promise<void>((resolve) => larder!.on('set', () => resolve()));
    expect((await request(url).get('/big')).headers['x-cache']).toBe('STALE');
    await refreshed;
    const hit = await request(url).get('/big');
    expect([hit.headers['x-cache'], hit.text.length, hit.text[0]]).toEqual(['HIT', 64 * 4096, '2']);
  });

  it("replays what the next route produced when the handler calls next('route')", async () => {
    larder = createLarder();
    let n = 0;
    const app = expressModule();
    app.get('/who/:name', cached('5m', { larder }), (req, res, next) => (req.params.name === 'me' ? next('route') : res.send(`user ${req.params.name}`)));
    app.get('/who/me', (_req, res) => { res.send(`it is me ${++n}`); });
    const url = await serve(app);
    expect((await request(url).get('/who/me')).text).toBe('it is me 1');
    const hit = await request(url).get('/who/me');
    expect([hit.headers['x-cache'], hit.text]).toEqual(['HIT', 'it is me 1']);
    expect((await request(url).get('/who/ann')).text).toBe('user ann');
  });

  it('keeps res.locals set by earlier middleware available to the handler, stored once declared harmless', async () => {
    larder = createLarder();
    const app = expressModule();
    app.use((_req, res, next) => { res.locals.siteName = 'Larder'; next(); });
    // Whatever middleware in front put in res.locals is per-request state until declared otherwise.
    app.get('/title', cached('5m', { larder, unkeyed: ['res.locals.siteName'] }), (_req, res) => { res.send(`<title>${String(res.locals.siteName)}</title>`); });
    const url = await serve(app);
    expect((await request(url).get('/title')).text).toBe('<title>Larder</title>');
    expect((await request(url).get('/title')).headers['x-cache']).toBe('HIT');
  });

  it('stores files sent with res.sendFile', async () => {
    larder = createLarder();
    const dir = mkdtempSync(join(tmpdir(), 'larder-sendfile-'));
    writeFileSync(join(dir, 'hello.txt'), 'hello from disk');
    const app = expressModule();
    app.get('/file', cached('5m', { larder }), (_req, res) => res.sendFile(join(dir, 'hello.txt')));
    const url = await serve(app);
    expect((await request(url).get('/file')).text).toBe('hello from disk');
    const hit = await request(url).get('/file');
    expect([hit.headers['x-cache'], hit.text]).toEqual(['HIT', 'hello from disk']);
    expect(hit.headers['content-type']).toBe((await request(url).get('/file')).headers['content-type']);
    expect(hit.headers['content-type']).toMatch(/^text\/plain; charset=utf-8$/i);
  });

  it('lets an async handler that rejects reach the error handler (Express 5) with nothing stored', async () => {
    larder = createLarder();
    let n = 0;
    const app = expressModule();
    app.get('/fail', cached('5m', { larder }), (_req, _res, next) => { Promise.reject(new Error(`nope ${++n}`)).catch(next); });
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => { res.status(500).send(error.message); });
    const url = await serve(app);
    expect((await request(url).get('/fail')).text).toBe('nope 1');
    expect((await request(url).get('/fail')).text).toBe('nope 2');
  });
});
