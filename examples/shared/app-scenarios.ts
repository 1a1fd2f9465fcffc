/**
 * The HTTP scenarios both example apps must pass (Express and Koa serve the same API), so the
 * examples cannot rot: each app's app.test.ts runs this suite against its own `createApp`.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Larder } from '@larder/core';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CityOptions } from './create-city.js';

export interface ExampleApp {
  /** A listener for `http.createServer` (an Express app, or a Koa app's `callback()`). */
  listener: RequestListener;
  larder: Larder;
  close(): Promise<void>;
}

export function describeExampleApp(name: string, createApp: (options: CityOptions) => ExampleApp): void {
  // One server per test, listening before the first request: the cache key includes the Host header,
  // and supertest listens on a new port (so a new host) for every request to a server that is not.
  let dir: string;
  let app: ExampleApp;
  let server: Server;
  let now = Date.UTC(2024, 3, 1);
  const clock = { now: () => now };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'larder-example-'));
    app = createApp({ rows: 5000, store: 'memory://', dataDir: dir, clock });
    server = createServer(app.listener).listen(0, '127.0.0.1');
    await once(server, 'listening');
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe(name, () => {
    describe('GET /rides/stats', () => {
      it('is a MISS, then a HIT with the same body', async () => {
        const first = await request(server).get('/rides/stats?borough=Brooklyn&hour=8').expect(200);
        const second = await request(server).get('/rides/stats?borough=Brooklyn&hour=8').expect(200);

        expect(first.headers['x-cache']).toBe('MISS');
        expect(second.headers['x-cache']).toBe('HIT');
        expect(second.body).toEqual(first.body);
        expect(first.body).toMatchObject({ filter: { borough: 'Brooklyn', hour: 8 } });
        expect(first.body.rides).toBeGreaterThan(0);
      });

      it('keys on the query: another borough is a MISS', async () => {
        await request(server).get('/rides/stats?borough=Brooklyn').expect('x-cache', 'MISS');
        await request(server).get('/rides/stats?borough=Queens').expect('x-cache', 'MISS');
        await request(server).get('/rides/stats?borough=Brooklyn').expect('x-cache', 'HIT');
      });

      it('answers 400 for an unknown borough, and does not store it', async () => {
        await request(server).get('/rides/stats?borough=Atlantis').expect(400);
        const again = await request(server).get('/rides/stats?borough=Atlantis').expect(400);
        // Express adds X-Cache: MISS to the error response; Koa (where the error escapes cached()) adds nothing.
        expect(again.headers['x-cache']).not.toBe('HIT');
        expect(again.body.error).toContain('borough');
      });
    });

    describe('the rides dataset (cacheData)', () => {
      it('is parsed once and then copied from the data cache for every route', async () => {
        await request(server).get('/rides/stats').expect(200);
        await request(server).get('/rides/top-routes?limit=3').expect(200);
        await request(server).get('/rides/hourly?borough=Manhattan').expect(200);

        const { body } = await request(server).get('/admin/stats').expect(200);
        expect(body.caches.loadRides).toMatchObject({ kind: 'data', misses: 1, hits: 2 });
      });

      it('answers consistent aggregates: the top routes add up, the hours add up', async () => {
        const top = await request(server).get('/rides/top-routes?limit=3').expect(200);
        expect(top.body).toHaveLength(3);
        expect(top.body[0].rides).toBeGreaterThanOrEqual(top.body[1].rides);

        const hourly = await request(server).get('/rides/hourly').expect(200);
        const total = hourly.body.reduce((sum: number, hour: { rides: number }) => sum + hour.rides, 0);
        expect(total).toBe(5000);
      });
    });

    describe('GET /rides/hourly (ttl 1m, staleWhileRevalidate 10m)', () => {
      it('serves the stale entry after a minute while one background request refreshes it', async () => {
        const first = await request(server).get('/rides/hourly').expect('x-cache', 'MISS');
        expect(first.body).toHaveLength(24);
        now += 61_000;

        await request(server).get('/rides/hourly').expect('x-cache', 'STALE');
        await vi.waitFor(async () => {
          await request(server).get('/rides/hourly').expect('x-cache', 'HIT').expect('age', '0');
        });
      });
    });

    describe('the database resource', () => {
      it('is opened once and shared by every route that uses it', async () => {
        await request(server).get('/zones?borough=Bronx').expect(200);
        await request(server).get('/zones/4/reviews?limit=3').expect(200);
        await request(server).get('/zones/5/reviews?limit=3').expect(200);
        await request(server).post('/zones/4/reviews').send({ rating: 5, text: 'Spotless car' }).expect(201);

        const { body } = await request(server).get('/admin/stats').expect(200);
        expect(body.resources.db).toEqual({ opens: 1, queries: 6 });
        expect(app.larder.resources.names()).toEqual(['db']);
      });
    });

    describe('the sentiment model (cacheResource)', () => {
      it('is loaded once and used by both routes that need it', async () => {
        const { body } = await request(server).get('/sentiment?text=What a smooth ride').expect(200);
        expect(body).toMatchObject({ label: 'positive', positive: ['smooth'] });
        await request(server).get('/sentiment?text=Rude driver').expect(200, /negative/);
        await request(server).get('/zones/4/reviews?limit=3').expect(200);

        const stats = await request(server).get('/admin/stats').expect(200);
        expect(stats.body.caches.loadModel).toMatchObject({ kind: 'resource', misses: 1, hits: 2 });
      });

      it('scores every review of a zone', async () => {
        const { body } = await request(server).get('/zones/4/reviews?limit=5').expect(200);
        expect(body.zone).toEqual({ id: 4, name: 'Midtown', borough: 'Manhattan' });
        expect(body.reviews).toHaveLength(5);
        for (const review of body.reviews) expect(['positive', 'negative', 'neutral']).toContain(review.sentiment.label);
      });
    });

    describe('invalidation', () => {
      it('POST /admin/invalidate?tag=rides drops the rides responses only', async () => {
        await request(server).get('/rides/stats?hour=8').expect('x-cache', 'MISS');
        await request(server).get('/zones').expect('x-cache', 'MISS');

        await request(server).post('/admin/invalidate?tag=rides').expect(200, { invalidated: ['rides'] });

        await request(server).get('/rides/stats?hour=8').expect('x-cache', 'MISS');
        await request(server).get('/rides/stats?hour=8').expect('x-cache', 'HIT');
        await request(server).get('/zones').expect('x-cache', 'HIT');
      });

      it('POST /admin/invalidate without a tag is a 400', async () => {
        await request(server).post('/admin/invalidate').expect(400);
      });

      it('a new review drops that zone’s cached reviews, and no other zone’s', async () => {
        await request(server).get('/zones/4/reviews?limit=1').expect('x-cache', 'MISS');
        await request(server).get('/zones/5/reviews?limit=1').expect('x-cache', 'MISS');

        const created = await request(server).post('/zones/4/reviews').send({ rating: 1, text: 'Rude driver and a long detour' }).expect(201);
        expect(created.body.invalidated).toEqual(['zone:4', 'zones']);

        const fresh = await request(server).get('/zones/4/reviews?limit=1').expect('x-cache', 'MISS');
        expect(fresh.body.reviews[0]).toMatchObject({ text: 'Rude driver and a long detour', sentiment: { label: 'negative' } });
        await request(server).get('/zones/5/reviews?limit=1').expect('x-cache', 'HIT');
      });
    });

    describe('GET /admin/stats', () => {
      it('reports hits and misses per route and per cached function', async () => {
        await request(server).get('/rides/top-routes?limit=2');
        await request(server).get('/rides/top-routes?limit=2');

        const { body } = await request(server).get('/admin/stats').expect(200);
        expect(body.store).toBe('memory');
        expect(body.caches['GET /rides/top-routes']).toMatchObject({ kind: 'http', hits: 1, misses: 1, entries: 1 });
        expect(body.caches.loadRides).toMatchObject({ kind: 'data', misses: 1 });
      });
    });
  });
}
