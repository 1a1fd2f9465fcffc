/**
 * The Larder example on Express: a rides dashboard API.
 *
 * - `cacheData` keeps the parsed rides dataset (slow: a 200,000-line CSV) — see ../shared/create-city.ts;
 * - `cached()` stores whole responses of the routes that filter and aggregate it, keyed by the query;
 * - the database is a resource in `larder.resources`, reached from any handler as `req.resources`;
 * - the sentiment model comes from `cacheResource`, loaded once and shared by two routes;
 * - tags let a write (a new review) or an admin drop exactly the responses it makes stale.
 *
 * `createApp()` does not listen (server.ts does), so tests drive it with supertest.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { cached, provideLarder, type Larder } from '@larder/express';
import { hourlyProfile, rideStats, topRoutes } from '../shared/analytics.js';
import type { CityDb } from '../shared/city-db.js';
import { createCity, type City, type CityOptions } from '../shared/create-city.js';
import { NotFoundError, parseLimit, parseReview, parseRideFilter, parseTag, parseText, parseZoneId } from '../shared/params.js';
import { ROUTES } from '../shared/routes.js';

declare global {
  namespace Express {
    interface Locals {
      /** The dataset and model helpers of ../shared/create-city.ts. */
      city: City;
    }
  }
}

export type AppOptions = CityOptions;

export function createApp(options: AppOptions = {}): { app: express.Express; larder: Larder; close: () => Promise<void> } {
  const city = createCity(options);
  const { larder } = city;
  const app = express();
  app.locals.city = city;
  app.use(express.json());
  // Every handler can now reach this larder as `req.larder` and its registry as `req.resources`;
  // and every `cached()` below stores its responses there (its store, its stats, its tags).
  app.use(provideLarder(larder));

  app.get('/', (_req, res) => {
    res.json({ example: 'Larder on Express', store: larder.storeKind, routes: ROUTES });
  });

  // ---- the rides dataset: cacheData underneath, cached() responses on top ----------------------

  app.get('/rides/stats', cached('10m', { tags: ['rides'] }), async (req, res) => {
    const filter = parseRideFilter(req.query);
    res.json(rideStats(await req.app.locals.city.rides(), filter));
  });

  app.get('/rides/top-routes', cached('10m', { tags: ['rides'] }), async (req, res) => {
    const filter = parseRideFilter(req.query);
    res.json(topRoutes(await req.app.locals.city.rides(), filter, parseLimit(req.query)));
  });

  // After a minute the entry is stale: for ten more minutes it is served at once (X-Cache: STALE)
  // while one background request refreshes it.
  app.get('/rides/hourly', cached({ ttl: '1m', staleWhileRevalidate: '10m', tags: ['rides'] }), async (req, res) => {
    const filter = parseRideFilter(req.query, { hour: false });
    res.json(hourlyProfile(await req.app.locals.city.rides(), filter));
  });

  // ---- the database resource, shared by every route that needs it ------------------------------

  app.get('/zones', cached('1h', { tags: ['zones'] }), async (req, res) => {
    const { borough } = parseRideFilter(req.query, { hour: false });
    const db = await req.resources.get<CityDb>('db');
    res.json(await db.zoneSummaries(borough));
  });

  app.get('/zones/:id/reviews', cached('1h', { tags: (req) => [`zone:${req.params.id}`] }), async (req, res) => {
    const id = parseZoneId(req.params.id);
    const limit = parseLimit(req.query, 10);
    const db = await req.resources.get<CityDb>('db');
    const model = await req.app.locals.city.model();
    const zone = await db.zone(id);
    const reviews = (await db.latestReviews(id, limit)).map((review) => ({ ...review, sentiment: model.predict(review.text) }));
    const mood = reviews.reduce((sum, r) => sum + r.sentiment.comparative, 0) / (reviews.length || 1);
    res.json({ zone, mood: Number(mood.toFixed(3)), reviews });
  });

  // A write: store the review, then drop exactly the cached responses it changed.
  app.post('/zones/:id/reviews', async (req, res) => {
    const id = parseZoneId(req.params.id);
    const { rating, text } = parseReview(req.body);
    const db = await req.resources.get<CityDb>('db');
    const reviewId = await db.addReview(id, rating, text);
    const invalidated = [`zone:${id}`, 'zones'];
    await req.larder.invalidate(invalidated);
    res.status(201).json({ id: reviewId, zoneId: id, rating, text, invalidated });
  });

  // ---- the model resource: inference per distinct text is cached as a response -----------------

  app.get('/sentiment', cached('1d'), async (req, res) => {
    const text = parseText(req.query);
    const model = await req.app.locals.city.model();
    res.json({ text, ...model.predict(text) });
  });

  // ---- operations (protect these in a real deployment) -----------------------------------------

  app.post('/admin/invalidate', async (req, res) => {
    const tag = parseTag(req.query);
    await req.larder.invalidate(tag);
    res.json({ invalidated: [tag] });
  });

  app.get('/admin/stats', (req, res) => {
    res.json({ store: req.larder.storeKind, caches: req.larder.stats(), resources: { db: req.app.locals.city.dbUsage() } });
  });

  app.use((req, _res, next) => next(new NotFoundError(`${req.method} ${req.path} is not a route; GET / lists them`)));
  app.use((error: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status ?? 500;
    if (status >= 500) console.error(error);
    res.status(status).json({ error: status >= 500 ? 'Internal Server Error' : error.message });
  });

  return { app, larder, close: () => larder.close() };
}
