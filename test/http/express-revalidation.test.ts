import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import express4 from 'express4';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { cached, createLarder, type Larder } from '@larder/express';
import { closeServer, listen } from './harness.js';

const versions = [['Express 5', express], ['Express 4', express4 as unknown as typeof express]] as const;

describe.each(versions)("cached({ mode: 'http' }) revalidating through %s's own conditional answers", (_name, expressModule) => {
  let server: Server | undefined;
  let larder: Larder;
  let now: number;
  afterEach(async () => {
    if (server) await closeServer(server);
    server = undefined;
    await larder.close();
  });
  function serve(app: express.Express): Promise<string> {
    server = createServer(app);
    return listen(server);
  }
  function app() {
    now = 1_700_000_000_000;
    larder = createLarder({ clock: { now: () => now } });
    return expressModule();
  }

  it('res.send answers the revalidation 304 from its own ETag; the client gets the stored body', async () => {
    const application = app();
    const validators: Array<string | undefined> = [];
    application.get('/doc', cached({ mode: 'http', larder }), (req, res) => {
      validators.push(req.headers['if-none-match']);
      res.set('Cache-Control', 'max-age=10');
      res.send('the document');
    });
    const url = await serve(application);
    const first = await request(url).get('/doc');
    expect(first.headers.etag).toMatch(/^W\//);
    now += 20_000;
    const revalidated = await request(url).get('/doc');
    expect([revalidated.status, revalidated.text, revalidated.headers['x-cache']]).toEqual([200, 'the document', 'HIT']);
    // Larder asked with Express's own (weak) ETag, so res.send answered 304: the body came from the store.
    expect(validators).toEqual([undefined, first.headers.etag]);
    expect(larder.stats()['GET /doc']).toMatchObject({ misses: 2, hits: 0 });
    now += 5_000;
    const hit = await request(url).get('/doc');
    expect([hit.headers['x-cache'], hit.text]).toEqual(['HIT', 'the document']);
    expect(validators).toHaveLength(2);
  });

  it('res.sendFile answers it from Last-Modified and ETag too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'larder-revalidate-'));
    writeFileSync(join(dir, 'a.txt'), 'from disk');
    const application = app();
    const fresh: boolean[] = [];
    application.get('/file', cached({ mode: 'http', larder }), (req, res) => {
      fresh.push(req.headers['if-none-match'] !== undefined && req.headers['if-modified-since'] !== undefined);
      res.sendFile(join(dir, 'a.txt'), { headers: { 'Cache-Control': 'no-cache' } });
    });
    const url = await serve(application);
    await request(url).get('/file');
    const again = await request(url).get('/file');
    expect([again.status, again.text, again.headers['x-cache']]).toEqual([200, 'from disk', 'HIT']);
    expect(fresh).toEqual([false, true]);
  });
});
