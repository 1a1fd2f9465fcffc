/**
 * An application written against the published packages. The packaging test compiles it in a fresh
 * project with `moduleResolution` node16 and bundler; the monorepo's typecheck compiles it against
 * the sources.
 */
import express from 'express';
import Koa from 'koa';
import { BadOptionError, cacheData, cacheResource, createLarder, parseDuration, type CacheStats, type LarderEvent } from '@larder/core';
import { cached, provideLarder } from '@larder/express';
import { cached as cachedKoa } from '@larder/koa';

const larder = createLarder({ store: 'memory://' });
larder.on('error', (event: LarderEvent) => console.warn(event.reason));

export const double = cacheData(async (n: number) => n * 2, { ttl: '5m', larder });
export const doubled: Promise<number> = double(21);
export const openClient = cacheResource(async (url: string) => new URL(url), { larder, onRelease: () => undefined });
export const ninetyMinutes: number = parseDuration('1h 30m');
export const stats: Record<string, CacheStats> = larder.stats();
export const isBadOption = (error: unknown): boolean => error instanceof BadOptionError;

const app = express();
app.use(provideLarder(larder));
app.get('/users/:id', cached('5m', { vary: ['accept-language'] }), (req, res) => {
  res.json({ id: req.params.id, stats: req.larder.stats() });
});

const koa = new Koa();
koa.use(cachedKoa({ ttl: '1m', larder }));
koa.use((ctx) => {
  ctx.body = { path: ctx.path };
});
