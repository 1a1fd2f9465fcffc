/**
 * Invalidation on writes reaches every instance sharing a store: two apps, each with its own larder,
 * on one SQLite file and on one Redis, reached through one Host (as behind a load balancer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { cached, createLarder, provideLarder, type Larder } from '@larder/express';
import { maybeRedis } from '../support/redis-server.js';
import { closeServer, listen } from './harness.js';

const redis = await maybeRedis();
const dir = mkdtempSync(join(tmpdir(), 'larder-fleet-'));
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const HOST = 'api.example';
const stores: Array<[string, () => string]> = [['one SQLite file', () => `sqlite://${join(dir, `fleet-${Date.now()}.sqlite`)}`]];
if (redis) stores.push(['one Redis', () => `${redis.url}/?namespace=fleet-${Date.now()}`]);

describe.each(stores)('invalidation on writes across two instances on %s', (_name, storeUrl) => {
  const servers: Server[] = [];
  const larders: Larder[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(closeServer));
    await Promise.all(larders.splice(0).map((larder) => larder.close()));
  });

  /** One instance of the app: the same code (so the same keys) on its own larder. */
  async function instance(store: string, mode: 'route' | 'http'): Promise<string> {
    const larder = createLarder({ store, storeTimeout: '2s' });
    larders.push(larder);
    const app = express();
    app.use(provideLarder({ larder }));
    app.get('/users/:id', cached({ mode, ttl: '5m' }), (req, res) => { res.send(`user ${req.params.id} at ${Date.now()}`); });
    app.put('/users/:id', (_req, res) => { res.send('saved'); });
    const server = createServer(app);
    servers.push(server);
    return listen(server);
  }
  const get = (url: string, path: string) => request(url).get(path).set('Host', HOST);

  it.each(['route', 'http'] as const)("a PUT on one instance drops what every instance reads for the path (mode '%s')", async (mode) => {
    const store = storeUrl();
    const [a, b] = [await instance(store, mode), await instance(store, mode)];
    const original = (await get(a, '/users/1')).text;
    await get(a, '/users/2');
    // Writes land after the response: once A hits, the entries are in the store.
    await vi.waitFor(async () => expect((await get(a, '/users/2')).headers['x-cache']).toBe('HIT'));
    const fromB = await get(b, '/users/1');
    expect([fromB.headers['x-cache'], fromB.text]).toEqual(['HIT', original]);

    expect((await request(b).put('/users/1').set('Host', HOST)).text).toBe('saved');
    // No waiting: the PUT was answered only once its invalidation was in the store.
    expect((await get(a, '/users/1')).headers['x-cache']).toBe('MISS');
    expect((await get(a, '/users/2')).headers['x-cache']).toBe('HIT');
  });
});
