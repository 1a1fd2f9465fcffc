/**
 * The Larder example on Koa + @koa/router: the same rides dashboard API as ../express-app, with
 * the same data, database and model (../shared). Only the routes are Koa's.
 *
 * `provideLarder(larder)` makes the larder reachable from every handler as `ctx.larder` and its
 * registry as `ctx.resources` (`await ctx.resources.get('db')`); the dataset helpers are on
 * `app.context`, so handlers reach them as `ctx.city`.
 */
import Router from '@koa/router';
import Koa from 'koa';
import { cached, provideLarder, type Larder } from '@larder/koa';
import { hourlyProfile, rideStats, topRoutes } from '../shared/analytics.js';
import type { CityDb } from '../shared/city-db.js';
import { createCity, type City, type CityOptions } from '../shared/create-city.js';
import { BadRequestError, NotFoundError, parseLimit, parseReview, parseRideFilter, parseTag, parseText, parseZoneId } from '../shared/params.js';
import { ROUTES } from '../shared/routes.js';

declare module 'koa' {
  interface DefaultContext {
    /** The dataset and model helpers of ../shared/create-city.ts. */
    city: City;
  }
}

export type AppOptions = CityOptions;

export function createApp(options: AppOptions = {}): { app: Koa; larder: Larder; close: () => Promise<void> } {
  const city = createCity(options);
  const { larder } = city;
  const app = new Koa();
  app.context.city = city;
  const router = new Router();

  router.get('/', (ctx) => {
    ctx.body = { example: 'Larder on Koa', store: larder.storeKind, routes: ROUTES };
  });

  // ---- the rides dataset: cacheData underneath, cached() responses on top ----------------------

  router.get('/rides/stats', cached('10m', { tags: ['rides'] }), async (ctx) => {
    const filter = parseRideFilter(ctx.query);
    ctx.body = rideStats(await ctx.city.rides(), filter);
  });

  router.get('/rides/top-routes', cached('10m', { tags: ['rides'] }), async (ctx) => {
    const filter = parseRideFilter(ctx.query);
    ctx.body = topRoutes(await ctx.city.rides(), filter, parseLimit(ctx.query));
  });

  // After a minute the entry is stale: for ten more minutes it is served at once (X-Cache: STALE)
  // while one background request refreshes it.
  router.get('/rides/hourly', cached({ ttl: '1m', staleWhileRevalidate: '10m', tags: ['rides'] }), async (ctx) => {
    const filter = parseRideFilter(ctx.query, { hour: false });
    ctx.body = hourlyProfile(await ctx.city.rides(), filter);
  });

  // ---- the database resource, shared by every route that needs it ------------------------------

  router.get('/zones', cached('1h', { tags: ['zones'] }), async (ctx) => {
    const { borough } = parseRideFilter(ctx.query, { hour: false });
    const db = await ctx.resources.get<CityDb>('db');
    ctx.body = await db.zoneSummaries(borough);
  });

  router.get('/zones/:id/reviews', cached('1h', { tags: (ctx) => [`zone:${ctx.params.id}`] }), async (ctx) => {
    const id = parseZoneId(ctx.params.id);
    const limit = parseLimit(ctx.query, 10);
    const db = await ctx.resources.get<CityDb>('db');
    const model = await ctx.city.model();
    const zone = await db.zone(id);
    const reviews = (await db.latestReviews(id, limit)).map((review) => ({ ...review, sentiment: model.predict(review.text) }));
    const mood = reviews.reduce((sum, r) => sum + r.sentiment.comparative, 0) / (reviews.length || 1);
    ctx.body = { zone, mood: Number(mood.toFixed(3)), reviews };
  });

  // A write: store the review, then drop exactly the cached responses it changed.
  router.post('/zones/:id/reviews', async (ctx) => {
    const id = parseZoneId(ctx.params.id);
    const { rating, text } = parseReview(await readJson(ctx));
    const db = await ctx.resources.get<CityDb>('db');
    const reviewId = await db.addReview(id, rating, text);
    const invalidated = [`zone:${id}`, 'zones'];
    await ctx.larder.invalidate(invalidated);
    ctx.status = 201;
    ctx.body = { id: reviewId, zoneId: id, rating, text, invalidated };
  });

  // ---- the model resource: inference per distinct text is cached as a response -----------------

  router.get('/sentiment', cached('1d'), async (ctx) => {
    const text = parseText(ctx.query);
    const model = await ctx.city.model();
    ctx.body = { text, ...model.predict(text) };
  });

  // ---- operations (protect these in a real deployment) -----------------------------------------

  router.post('/admin/invalidate', async (ctx) => {
    const tag = parseTag(ctx.query);
    await ctx.larder.invalidate(tag);
    ctx.body = { invalidated: [tag] };
  });

  router.get('/admin/stats', (ctx) => {
    ctx.body = { store: ctx.larder.storeKind, caches: ctx.larder.stats(), resources: { db: ctx.city.dbUsage() } };
  });

  app.use(async function jsonErrors(ctx, next) {
    try {
      await next();
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500;
      if (status >= 500) console.error(error);
      ctx.status = status;
      ctx.body = { error: status >= 500 ? 'Internal Server Error' : (error as Error).message };
    }
  });
  // Every handler can now reach this larder as `ctx.larder` and its registry as `ctx.resources`;
  // and every `cached()` stores its responses there (its store, its stats, its tags).
  app.use(provideLarder(larder));
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use((ctx) => {
    throw new NotFoundError(`${ctx.method} ${ctx.path} is not a route; GET / lists them`);
  });

  return { app, larder, close: () => larder.close() };
}

/** A small JSON body reader (the example needs one POST body; use @koa/bodyparser in an app). */
async function readJson(ctx: Koa.Context, limit = 16 * 1024): Promise<unknown> {
  if (!ctx.is('application/json')) throw new BadRequestError('send JSON with Content-Type: application/json');
  let text = '';
  for await (const chunk of ctx.req) {
    text += String(chunk);
    if (text.length > limit) throw new BadRequestError(`the body is larger than ${limit} bytes`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError('the body is not valid JSON');
  }
}
