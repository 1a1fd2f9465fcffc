/**
 * An app with a cached route and a cacheData function, on a given store. The CLI tests populate a
 * store through it, run the CLI against that store, then start it again on the same store to see
 * what the CLI changed (the code is the same, so the keys are too).
 */
import { createServer } from 'node:http';
import express from 'express';
import request from 'supertest';
import { cacheData, cached, createLarder, type Larder } from '@larder/express';
import { closeServer, listen } from '../http/harness.js';

export interface CachedApp {
  url: string;
  /** GET a path with the same Host every time: the host is part of a route's key, and each app gets a new port. */
  get(path: string): request.Test;
  larder: Larder;
  runs: { user: number; report: number };
  loadReport(region: string): Promise<unknown>;
  close(): Promise<void>;
}

export async function startCachedApp(store: string): Promise<CachedApp> {
  // A generous storeTimeout: a read that times out is a miss that stores nothing, and these tests
  // count on every request storing (the first one on a new Redis connection can be slow under load).
  const larder = createLarder({ store, storeTimeout: '5s' });
  larder.on('error', () => {});
  const runs = { user: 0, report: 0 };
  const loadReport = cacheData(async function loadReport(region: string) {
    runs.report++;
    return { region, rows: 'r'.repeat(200) };
  }, { larder, ttl: '1h' });
  const app = express();
  app.get('/users/:id', cached({ ttl: '5m', larder, tags: ['users'] }), (req, res) => {
    runs.user++;
    res.json({ id: req.params.id });
  });
  // Stored responses keep their headers in the entry's header: this one's is longer than the 1 KiB the CLI reads first.
  app.get('/wide', cached({ ttl: '5m', larder }), (_req, res) => {
    res.set('X-Padding', 'p'.repeat(3000)).send('wide');
  });
  const server = createServer(app);
  const url = await listen(server);
  const get = (path: string) => request(url).get(path).set('Host', 'app.test');
  return { url, get, larder, runs, loadReport, close: async () => { await closeServer(server); await larder.close(); } };
}

/** Writes happen in the background: resolves once `count` entries were written. */
export function writes(larder: Larder, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const onSet = () => {
      if (++seen < count) return;
      larder.off('set', onSet);
      resolve();
    };
    larder.on('set', onSet);
  });
}

/** Three responses of `GET /users/:id` and two results of `loadReport`, stored. */
export async function populate(store: string): Promise<void> {
  const app = await startCachedApp(store);
  const written = writes(app.larder, 5);
  for (const id of ['1', '2', '3']) await app.get(`/users/${id}`).expect('X-Cache', 'MISS');
  await app.loadReport('eu');
  await app.loadReport('us');
  await written;
  await app.close();
}
