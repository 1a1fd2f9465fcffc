import type { Express, RequestHandler } from 'express';
import type { Framework } from './args.ts';
import { JSON_TYPE, type RouteState } from './routes.ts';

/** An Express 4 or Express 5 app with the framework's defaults (ETag, x-powered-by) left on. */
export async function createExpressApp(framework: Framework): Promise<Express> {
  if (framework === 'koa') throw new Error('createExpressApp: use an Express framework (express4 or express5)');
  const { default: express } = framework === 'express4' ? await import('express4') : await import('express');
  return express();
}

export interface ExpressHandlers {
  /** Writes the pre-serialized body with writeHead/end: the fastest a route can answer. */
  floor: RequestHandler;
  /** The idiomatic uncached handler: `res.json(obj)`. */
  data: RequestHandler;
  slow: RequestHandler;
  big: RequestHandler;
  count: RequestHandler;
}

/** The same handler functions for every Express contender, so only the middleware in front differs. */
export function expressHandlers(state: RouteState): ExpressHandlers {
  return {
    floor: function floor(_req, res) {
      state.counts.data += 1;
      res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': state.body.length });
      res.end(state.body);
    },
    data: function data(_req, res) {
      state.counts.data += 1;
      res.json(state.doc);
    },
    slow: async function slow(_req, res) {
      state.counts.slow += 1;
      res.json(await state.slow());
    },
    big: function big(_req, res) {
      state.counts.big += 1;
      res.json(state.big());
    },
    count: function count(_req, res) {
      res.json(state.counts);
    },
  };
}
