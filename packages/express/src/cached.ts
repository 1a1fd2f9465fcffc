import type { ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { defaultLarder, type CachedOptions, type Larder } from '@larder/core';
import { RouteCache, isRefresh, replaceSearch, teeResponse, undoAll, type Capture, type Decision, type ReplayPlan } from '@larder/core/adapter';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { invalidateOnWrite } from './invalidate-on-write.js';
import { watchRequest } from './request-views.js';
import { handlersHash, refreshDetached, routeName } from './route.js';

/** The middleware returned by `cached()`. */
export type CachedMiddleware = RequestHandler & {
  /** Drops every response this middleware stored, in every process sharing the store. */
  clear(): Promise<void>;
};


/**
 * Caches a route's responses (Express 4 and 5).
 * @example app.get('/users/:id', cached('5m'), handler);
 * @example router.get('/search', cached({ ttl: '1m', vary: ['accept-language'], exclude: ['query.utm_source'] }), handler);
 */
export function cached(ttlOrOptions?: number | string | null | CachedOptions<Request>, options?: CachedOptions<Request>): CachedMiddleware {
  const cache = new RouteCache(ttlOrOptions, options);

  const middleware = function cached(req: Request, res: Response, next: NextFunction): void {
    if (!cache.handles(req.method)) {
      // A write this middleware sees (app.use(cached())) drops what its path had stored.
      if (cache.config.invalidateOnWrite) invalidateOnWrite(req, res, cache.config.larder ?? (req as { larder?: Larder }).larder ?? defaultLarder());
      return next();
    }
    // Express 5's req.query is a getter that parses on every read: read it once, and when fields were
    // stripped, an own property makes the stripped copy the one the handler sees.
    const parsed = req.query;
    const query = cache.strip(parsed, 'query');
    if (query !== parsed) Object.defineProperty(req, 'query', { value: cache.watchStripped(parsed, query, 'query', routeName(req)), writable: true, enumerable: true, configurable: true });
    const keysBody = req.method !== 'GET' && req.method !== 'HEAD';
    const body = keysBody ? cache.strip(req.body, 'body') : undefined;
    if (keysBody && body !== req.body) req.body = cache.watchStripped(req.body, body, 'body', routeName(req));
    let decision: Decision | Promise<Decision>;
    try {
      decision = cache.decide(
        {
          method: req.method,
          host: req.headers.host,
          url: req.originalUrl ?? req.url ?? '/',
          secure: (req.socket as TLSSocket | null)?.encrypted === true,
          // app.use(cached()): every path under the mount shares one space (the path is in the key).
          routeId: req.route ? `${req.baseUrl}${String(req.route.path)}` : `${req.baseUrl}/*`,
          codeHash: req.route ? handlersHash(req.route, middleware) : '',
          params: req.params,
          query,
          body,
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          request: req,
          larder: (req as { larder?: Larder }).larder,
        },
        isRefresh(req),
      );
    } catch (error) {
      return next(error);
    }
    if (decision instanceof Promise) decision.then((d) => act(d, req, res, next), next);
    else act(decision, req, res, next);
  } as CachedMiddleware;

  middleware.clear = () => cache.clear();
  return middleware;
}

function act(decision: Decision, req: Request, res: Response, next: NextFunction): void {
  switch (decision.kind) {
    case 'pass':
      return next();
    case 'bypass':
      for (const [name, value] of decision.headers) {
        if (name === 'Vary') varyOnHead(res, value);
        else res.setHeader(name, value);
      }
      return next();
    case 'replay':
      send(res, decision.plan);
      if (decision.refresh) refreshDetached(req);
      return;
    case 'miss':
      capture(req, res, decision.capture);
      return next();
  }
}

/** Adds `fields` to the response's Vary as its head goes out, after whatever the handler set. */
function varyOnHead(res: Response, fields: string): void {
  const { writeHead } = res;
  res.writeHead = function (this: Response, ...args: unknown[]) {
    if (!this.headersSent) this.vary(fields);
    return (writeHead as (...rest: unknown[]) => Response).apply(this, args);
  } as Response['writeHead'];
}

function send(res: ServerResponse, plan: ReplayPlan): void {
  res.statusCode = plan.status;
  const headers = plan.headers;
  for (let i = 0; i < headers.length; i++) res.setHeader(headers[i]![0], headers[i]![1]);
  res.end(plan.body);
}

/**
 * Runs the handler on what the key holds (a HEAD miss runs as GET, so the waiting requests and the
 * store get the body; Node still sends none to a HEAD client) while the guard watches its reads,
 * and copies the response on its way out, never delaying it.
 */
function capture(req: Request, res: Response, capture: Capture): void {
  const head = req.method === 'HEAD';
  if (head) req.method = 'GET';
  const search = capture.search;
  const unwatch = undoAll([
    replaceSearch(req, 'url', search),
    replaceSearch(req, 'originalUrl', search),
    capture.askWithValidators(req),
    watchRequest(req, res, capture.guard),
  ]);
  teeResponse(res, capture, () => {
    unwatch();
    if (head && req.method === 'GET') req.method = 'HEAD';
  });
}
