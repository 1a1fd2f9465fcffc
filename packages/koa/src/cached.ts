import type { TLSSocket } from 'node:tls';
import { defaultLarder, type CachedOptions } from '@larder/core';
import { RouteCache, isRefresh, type Decision } from '@larder/core/adapter';
import type { Context, Middleware, Next } from 'koa';
import { capture } from './capture.js';
import { invalidateOnWrite } from './invalidate-on-write.js';
import { send } from './replay.js';
import { handlersHash, refreshDetached, routeName, type RoutedContext } from './route.js';

/** The middleware returned by `cached()`. */
export type CachedMiddleware = Middleware & {
  /** Drops every response this middleware stored, in every process sharing the store. */
  clear(): Promise<void>;
};

/**
 * Caches a route's responses (Koa 2 and 3, with @koa/router or `app.use`).
 * @example router.get('/users/:id', cached('5m'), handler);
 * @example router.get('/search', cached({ ttl: '1m', vary: ['accept-language'], exclude: ['query.utm_source'] }), handler);
 */
export function cached(ttlOrOptions?: number | string | null | CachedOptions<Context>, options?: CachedOptions<Context>): CachedMiddleware {
  const cache = new RouteCache(ttlOrOptions, options);

  // Not an async function: a hit answers synchronously, without a promise of its own (koa-compose
  // turns a synchronous throw into a rejection, as it would have been).
  const middleware = function cached(ctx: RoutedContext, next: Next): Promise<void> | void {
    // A write this middleware sees (app.use(cached())) drops what its path had stored.
    if (!cache.handles(ctx.method)) {
      return cache.config.invalidateOnWrite ? invalidateOnWrite(ctx, next, cache.config.larder ?? ctx.larder ?? defaultLarder()) : next();
    }
    const parsed = ctx.query;
    const query = cache.strip(parsed, 'query');
    const request = ctx.request as Context['request'] & { body?: unknown };
    const keysBody = ctx.method !== 'GET' && ctx.method !== 'HEAD';
    const body = keysBody ? cache.strip(request.body, 'body') : undefined;
    const layer = ctx.matched?.findLast((l) => l.methods.includes(ctx.method) && l.path === (ctx.routerPath ?? ctx._matchedRoute) && l.stack.includes(middleware));
    if (query !== parsed) {
      ctx.query = query;
      // Koa re-parses the query string on every read of ctx.query: an own property makes the watched view the one the handler sees.
      const seen = cache.watchStripped(parsed, query, 'query', routeName(ctx, layer));
      Object.defineProperty(ctx.request, 'query', { value: seen, writable: true, enumerable: true, configurable: true });
    }
    if (keysBody && body !== request.body) request.body = cache.watchStripped(request.body, body, 'body', routeName(ctx, layer));
    const decision = cache.decide(
      {
        method: ctx.method,
        host: ctx.req.headers.host,
        url: ctx.originalUrl,
        secure: (ctx.req.socket as TLSSocket | null)?.encrypted === true,
        // app.use(cached()): every path under the mount shares one space (the path is in the key).
        routeId: layer ? String(layer.path) : `${ctx.mountPath ?? ''}/*`,
        codeHash: layer ? handlersHash(layer, middleware) : '',
        params: ctx.params,
        query,
        body,
        headers: ctx.req.headers,
        rawHeaders: ctx.req.rawHeaders,
        request: ctx,
        larder: ctx.larder,
      },
      isRefresh(ctx.req),
    );
    if (decision instanceof Promise) return decision.then((settled) => act(settled, ctx, next));
    return act(decision, ctx, next);
  } as CachedMiddleware;

  middleware.clear = () => cache.clear();
  return middleware;
}

function act(decision: Decision, ctx: Context, next: Next): Promise<void> | void {
  switch (decision.kind) {
    case 'pass':
      return next();
    case 'bypass': {
      let vary: string | undefined;
      for (const [name, value] of decision.headers) {
        if (name === 'Vary') vary = value;
        else ctx.set(name, value);
      }
      if (vary === undefined) return next();
      // Added after the handler, to whatever Vary it set (respond() sends the head later).
      const fields = vary;
      return next().then(() => {
        if (!ctx.headerSent) ctx.vary(fields);
      });
    }
    case 'replay':
      send(ctx, decision.plan);
      if (decision.refresh) refreshDetached(ctx);
      return;
    case 'miss':
      return capture(ctx, next, decision.capture);
  }
}
