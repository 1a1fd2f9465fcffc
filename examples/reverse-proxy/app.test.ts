import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLarder, type Larder } from '@larder/express';
import { closeServer, deferred, listen } from '../../test/http/harness.js';
import { createProxy } from './app.js';

type OriginHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('examples/reverse-proxy: a caching reverse proxy for any origin', () => {
  let larder: Larder;
  let origin: Server;
  let proxy: Server;
  let proxyUrl: string;
  let originHost: string;
  let handle: OriginHandler;
  /** What the origin received, request by request. */
  let received: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }>;

  beforeEach(async () => {
    received = [];
    handle = (_req, res) => res.end('hello');
    origin = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        handle(req, res, body);
      });
    });
    const originUrl = await listen(origin);
    originHost = new URL(originUrl).host;
    larder = createLarder();
    proxy = createServer(createProxy({ origin: originUrl, larder }));
    proxyUrl = await listen(proxy);
  });
  afterEach(async () => {
    await closeServer(proxy);
    await closeServer(origin);
    await larder.close();
  });

  it('forwards any method, path, query and body, and answers with the status, headers and body of the origin', async () => {
    handle = (req, res, body) => {
      res.writeHead(201, { 'Content-Type': 'application/json', 'X-Origin': 'yes' });
      res.end(JSON.stringify({ method: req.method, url: req.url, body }));
    };
    const response = await request(proxyUrl).patch('/things/7?a=1&a=2').set('Content-Type', 'text/plain').send('new value');
    expect([response.status, response.headers['x-origin'], response.headers['content-type']]).toEqual([201, 'yes', 'application/json']);
    expect(JSON.parse(response.text)).toEqual({ method: 'PATCH', url: '/things/7?a=1&a=2', body: 'new value' });
    expect(received[0]!.headers.host).toBe(originHost);
  });

  it('sends an absolute-form request target to the origin, never to the host it names', async () => {
    const response = await new Promise<{ status?: number }>((resolve, reject) => {
      const { port } = new URL(proxyUrl);
      httpRequest({ host: '127.0.0.1', port, path: 'http://elsewhere.example/secret?x=1', headers: { host: 'elsewhere.example' } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
      }).on('error', reject).end();
    });
    expect(response.status).toBe(200);
    expect(received.map((r) => [r.url, r.headers.host])).toEqual([['/secret?x=1', originHost]]);
  });

  it('drops hop-by-hop fields both ways, those Connection names included, and adds Via', async () => {
    handle = (_req, res) => {
      res.setHeader('Connection', 'X-Hop');
      res.setHeader('X-Hop', 'hidden');
      res.setHeader('X-End', 'shown');
      res.end('ok');
    };
    const response = await rawGet('/h', { Connection: 'X-Secret', 'X-Secret': 's', 'Keep-Alive': 'timeout=5', TE: 'trailers', 'X-Kept': 'k' });
    const seen = received[0]!.headers;
    expect([seen['x-secret'], seen['keep-alive'], seen.te, seen['x-kept'], seen.via]).toEqual([undefined, undefined, undefined, 'k', '1.1 larder']);
    expect([response.headers['x-hop'], response.headers['x-end'], response.headers.via]).toEqual([undefined, 'shown', '1.1 larder']);
  });

  it('stores what the origin says it may (max-age), and not what it says it may not (no-store)', async () => {
    handle = (req, res) => {
      res.setHeader('Cache-Control', req.url === '/keep' ? 'max-age=60' : 'no-store');
      res.end(`answer ${received.length}`);
    };
    await request(proxyUrl).get('/keep');
    await request(proxyUrl).get('/skip');
    const [keep, skip] = [await request(proxyUrl).get('/keep'), await request(proxyUrl).get('/skip')];
    expect([keep.headers['x-cache'], keep.text, skip.headers['x-cache'], skip.text]).toEqual(['HIT', 'answer 1', 'MISS', 'answer 3']);
  });

  it('revalidates with the origin: it forwards the stored ETag, and a 304 is answered with the stored body', async () => {
    handle = (req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('ETag', '"v1"');
      if (req.headers['if-none-match'] === '"v1"') {
        res.statusCode = 304;
        res.end();
      } else {
        res.end('the body');
      }
    };
    await request(proxyUrl).get('/doc');
    const again = await request(proxyUrl).get('/doc');
    expect([again.status, again.text, again.headers['x-cache']]).toEqual([200, 'the body', 'HIT']);
    expect(received.map((r) => r.headers['if-none-match'])).toEqual([undefined, '"v1"']);
  });

  it('streams a body to the client while the origin is still sending it', async () => {
    const gate = deferred();
    handle = (_req, res) => {
      res.write('first,');
      void gate.promise.then(() => res.end('second'));
    };
    const response = await fetch(`${proxyUrl}/stream`);
    const reader = response.body!.getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe('first,');
    gate.resolve();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += Buffer.from(chunk.value).toString();
    expect(rest).toBe('second');
  });

  it('relays 103 Early Hints before the response', async () => {
    handle = (_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.end('page');
    };
    const hints: Array<[number | undefined, IncomingHttpHeaders]> = [];
    const response = await rawGet('/page', {}, (info) => hints.push([info.statusCode, info.headers]));
    expect(hints).toEqual([[103, expect.objectContaining({ link: '</style.css>; rel=preload; as=style' })]]);
    expect(response.body).toBe('page');
  });

  it('drops what it stored for a path after a successful write to it', async () => {
    handle = (req, res) => {
      if (req.method === 'GET') res.setHeader('Cache-Control', 'max-age=60');
      res.end(`${req.method} ${received.length}`);
    };
    await request(proxyUrl).get('/users/1');
    expect((await request(proxyUrl).get('/users/1')).headers['x-cache']).toBe('HIT');
    await request(proxyUrl).put('/users/1').send('x');
    const after = await request(proxyUrl).get('/users/1');
    expect([after.headers['x-cache'], after.text]).toEqual(['MISS', 'GET 3']);
  });

  it('answers 502 when the origin cannot be reached', async () => {
    await closeServer(origin);
    expect((await request(proxyUrl).get('/down')).status).toBe(502);
    origin = createServer();
  });

  /** A GET through the proxy with node:http (which reports 1xx responses and sends any header). */
  function rawGet(path: string, headers: Record<string, string>, onInformation?: (info: { statusCode?: number; headers: IncomingHttpHeaders }) => void): Promise<{ headers: IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${proxyUrl}${path}`, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ headers: res.headers, body }));
      });
      if (onInformation) req.on('information', onInformation);
      req.on('error', reject).end();
    });
  }
});
