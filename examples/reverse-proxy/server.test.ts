/**
 * The proxy started as `ORIGIN=… PORT=0 npm run proxy` does, in an empty directory: it prints its URL,
 * keeps its cache in the default SQLite file (a restart still hits), and with LARDER_STORE=redis://…
 * two proxies share one cache.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeServer, listen } from '../../test/http/harness.js';
import { hasRedisServer, RedisServer } from '../../test/support/redis-server.js';
import { getWithHost as get, startServer, type RunningServer } from '../shared/start-server.js';

const SCRIPT = fileURLToPath(new URL('./server.ts', import.meta.url));

describe('examples/reverse-proxy/server.ts (npm run proxy)', () => {
  let origin: Server;
  let originUrl: string;
  let served = 0;
  let redis: RedisServer | undefined;
  const servers: RunningServer[] = [];
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'larder-proxy-'));
    dirs.push(dir);
    return dir;
  };
  const start = async (cwd: string, options: { port?: string; store?: string } = {}) => {
    const running = await startServer(SCRIPT, { cwd, env: { ORIGIN: originUrl }, ...options });
    servers.push(running);
    return running;
  };

  beforeAll(async () => {
    origin = createServer((_req, res) => {
      res.setHeader('Cache-Control', 'max-age=3600');
      res.end(`origin answer ${++served}`);
    });
    originUrl = await listen(origin);
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  afterAll(async () => {
    await closeServer(origin);
    await redis?.stop();
  });

  it('prints its URL, caches in .larder/cache.sqlite, and still hits after a restart', async () => {
    const dir = await tempDir();
    let proxy = await start(dir);
    expect(proxy.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ /);
    expect(proxy.output()).toContain('store: sqlite');
    const miss = await fetch(`${proxy.url}/page`);
    expect([miss.headers.get('x-cache'), await miss.text()]).toEqual(['MISS', `origin answer ${served}`]);
    await vi.waitFor(async () => expect((await fetch(`${proxy.url}/page`)).headers.get('x-cache')).toBe('HIT'));
    expect(existsSync(join(dir, '.larder', 'cache.sqlite'))).toBe(true);

    const { port } = new URL(proxy.url);
    await proxy.stop();
    proxy = await start(dir, { port });
    expect((await fetch(`${proxy.url}/page`)).headers.get('x-cache')).toBe('HIT');
  }, 60_000);

  it.skipIf(!hasRedisServer())('shares its cache between two proxies with LARDER_STORE=redis://…', async () => {
    redis ??= await RedisServer.start();
    const [a, b] = await Promise.all([start(await tempDir(), { store: redis.url }), start(await tempDir(), { store: redis.url })]);
    // One Host for both, as behind a load balancer (the Host is part of the key).
    const first = await get(`${a.url}/shared`, 'site.example');
    await vi.waitFor(async () => expect((await get(`${a.url}/shared`, 'site.example')).xCache).toBe('HIT'));
    const fromB = await get(`${b.url}/shared`, 'site.example');
    expect([fromB.xCache, fromB.body]).toEqual(['HIT', first.body]);
  }, 60_000);

  it('exits with a usage line when ORIGIN is missing', async () => {
    await expect(startServer(SCRIPT, { cwd: await tempDir(), env: { ORIGIN: '' } })).rejects.toThrow(/Set ORIGIN/);
  });
});
