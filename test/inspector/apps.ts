/**
 * One small app per framework with the inspector mounted at `/_larder`: a cached route, a route
 * whose responses are never stored (404), a route backed by a cacheData function,
 * a cacheResource behind it, and a plain route. The HTTP and browser tests drive both the same way.
 */
import { createServer } from 'node:http';
import Router from '@koa/router';
import express from 'express';
import Koa from 'koa';
import mount from 'koa-mount';
import { cacheData, cacheResource, createLarder, type Larder } from '@larder/core';
import { cached as expressCached, larderInspector as expressInspector } from '@larder/express';
import { cached as koaCached, larderInspector as koaInspector } from '@larder/koa';
import { closeServer, listen } from '../http/harness.js';

export const TOKEN = 'test-token-4f1c0b9e7d2a';
export const MOUNT = '/_larder';

export interface InspectedApp {
  framework: string;
  url: string;
  larder: Larder;
  /** Handler runs per route, to tell hits from misses without reading headers. */
  runs: Record<'user' | 'gone' | 'report' | 'reportFn', number>;
  close(): Promise<void>;
}

type Starter = (larder: Larder) => Promise<Omit<InspectedApp, 'larder' | 'runs'> & { runs: InspectedApp['runs'] }>;

function counters(): InspectedApp['runs'] {
  return { user: 0, gone: 0, report: 0, reportFn: 0 };
}

function reportFunction(larder: Larder, runs: InspectedApp['runs']) {
  const openWarehouse = cacheResource(async function openWarehouse() {
    return { query: async (region: string) => ({ region, total: 42 }) };
  }, { larder });
  return cacheData(async function loadReport(region: string) {
    runs.reportFn++;
    return (await openWarehouse()).query(region);
  }, { larder, ttl: '1h' });
}

const startExpress: Starter = async (larder) => {
  const runs = counters();
  const loadReport = reportFunction(larder, runs);
  const app = express();
  app.use(MOUNT, expressInspector({ token: TOKEN, larder }));
  app.get('/users/:id', expressCached({ ttl: '5m', larder, tags: ['users'] }), (req, res) => {
    runs.user++;
    res.json({ id: req.params.id });
  });
  app.get('/gone', expressCached({ ttl: '5m', larder }), (_req, res) => {
    runs.gone++;
    res.status(404).send('not here');
  });
  app.get('/report/:region', async (req, res) => {
    runs.report++;
    res.json(await loadReport(req.params.region));
  });
  app.get('/plain', (_req, res) => {
    res.send('plain');
  });
  const server = createServer(app);
  return { framework: 'Express', url: await listen(server), runs, close: () => closeServer(server) };
};

const startKoa: Starter = async (larder) => {
  const runs = counters();
  const loadReport = reportFunction(larder, runs);
  const app = new Koa();
  const router = new Router();
  app.use(mount(MOUNT, koaInspector({ token: TOKEN, larder })));
  router.get('/users/:id', koaCached({ ttl: '5m', larder, tags: ['users'] }), (ctx) => {
    runs.user++;
    ctx.body = { id: ctx.params.id };
  });
  router.get('/gone', koaCached({ ttl: '5m', larder }), (ctx) => {
    runs.gone++;
    ctx.status = 404;
    ctx.body = 'not here';
  });
  router.get('/report/:region', async (ctx) => {
    runs.report++;
    ctx.body = await loadReport(ctx.params.region!);
  });
  router.get('/plain', (ctx) => {
    ctx.body = 'plain';
  });
  app.use(router.routes());
  const server = createServer(app.callback());
  return { framework: 'Koa', url: await listen(server), runs, close: () => closeServer(server) };
};

/** The frameworks every inspector test runs on. */
export const FRAMEWORKS: ReadonlyArray<{ name: string; start(larder?: Larder): Promise<InspectedApp> }> = [
  ['Express', startExpress],
  ['Koa', startKoa],
].map(([name, starter]) => ({
  name: name as string,
  async start(larder = createLarder()) {
    const app = await (starter as Starter)(larder);
    return { ...app, larder, close: async () => { await app.close(); await larder.close(); } };
  },
}));
