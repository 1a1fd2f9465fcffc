import type { ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { defaultLarder, type CachedOptions, type Larder } from '@larder/core';
import {
  RouteCache, detachedExchange, isRefresh, replaceSearch, responseHeaders, sourceHash, undoAll,
  watchBag, watchGetters, watchIncoming, watchOwnState, type Capture, type Decision, type InputGuard, type PropertyWatch, type ReplayPlan,
} from '@larder/core/adapter';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { invalidateOnWrite } from './invalidate-on-write.js';

/** The middleware returned by `cached()`. */
export type CachedMiddleware = RequestHandler & {
  /** Drops every response this middleware stored, in every process sharing the store. */
  clear(): Promise<void>;
};

/** Per-user state watched whether or not middleware in front set it (passport, express-jwt, cookie-parser, sessions). */
const PER_USER_STATE = ['cookies', 'signedCookies', 'session', 'user', 'auth'];
/**
 * Express's getters over the client: `ip`/`ips` are the client's address (or X-Forwarded-For). The
 * others read `X-Forwarded-*` (recorded as headers) and look at the client's address only to decide
 * whether to trust them.
 */
const GETTERS: Readonly<Record<string, PropertyWatch>> = {
  ip: { input: 'ip', kind: 'client' },
  ips: { input: 'ip', kind: 'client' },
  protocol: { quiet: ['ip'] },
  secure: { quiet: ['ip'] },
  hostname: { quiet: ['ip'] },
  host: { quiet: ['ip'] },
  subdomains: { quiet: ['ip'] },
};
/** What Express (and provideLarder, and request loggers) put on `req`: not per-request state. */
const EXPRESS_OWN: ReadonlySet<string> = new Set(['res', 'next', 'baseUrl', 'originalUrl', 'params', 'query', 'route', 'body', 'larder', 'resources', 'log', ...Object.keys(GETTERS)]);
const routeHashes = new WeakMap<object, string>();

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
    watch(req, res, capture.guard),
  ]);
  capture.baseline(responseHeaders(res));
  const { writeHead, write, end } = res;
  let stale: ReplayPlan | undefined;

  let released = false;
  /** Puts the request and response back as they were; the guard's window closes. Idempotent. */
  const release = () => {
    if (released) return;
    released = true;
    if (res.writeHead !== writeHead) Object.assign(res, { writeHead, write, end });
    unwatch();
    if (head && req.method === 'GET') req.method = 'HEAD';
    capture.guard.stop();
  };
  let decided = false;
  /** Settles the head once, before the first byte: adds MISS headers, or swaps in a stale response. */
  const decideHead = (self: Response, status: number): void => {
    if (decided) return;
    decided = true;
    const verdict = capture.head(status, responseHeaders(self));
    if ('replace' in verdict) {
      // staleIfError: the handler failed; the stale response goes out instead of its 5xx.
      stale = verdict.replace;
      for (const name of self.getHeaderNames()) self.removeHeader(name);
      for (const [name, value] of stale.headers) self.setHeader(name, value);
      self.statusCode = stale.status;
    } else {
      for (const [name, value] of verdict.add) self.setHeader(name, value);
    }
  };
  res.writeHead = function (this: Response, status: number, ...rest: unknown[]) {
    const headers = rest.find((arg) => typeof arg === 'object' && arg !== null);
    if (Array.isArray(headers)) for (let i = 0; i + 1 < headers.length; i += 2) this.setHeader(String(headers[i]), headers[i + 1]);
    else if (headers) for (const [name, value] of Object.entries(headers)) this.setHeader(name, value as string);
    decideHead(this, status);
    if (stale) return writeHead.call(this, stale.status);
    return typeof rest[0] === 'string' ? (writeHead as (s: number, r: string) => Response).call(this, status, rest[0]) : writeHead.call(this, status);
  } as Response['writeHead'];
  res.write = function (this: Response, chunk: unknown, ...rest: unknown[]) {
    if (!this.headersSent) decideHead(this, this.statusCode);
    if (stale) return true;
    if (chunk !== undefined && chunk !== null) capture.chunk(toBuffer(chunk, rest[0]));
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Response['write'];
  res.end = function (this: Response, chunk?: unknown, ...rest: unknown[]) {
    if (!this.headersSent) decideHead(this, this.statusCode);
    if (stale) {
      const body = stale.body;
      release();
      capture.finish({});
      return (end as (...args: unknown[]) => Response).call(this, body, ...[chunk, ...rest].filter((arg) => typeof arg === 'function'));
    }
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') capture.chunk(toBuffer(chunk, rest[0]));
    const result = (end as (...args: unknown[]) => Response).call(this, chunk, ...rest);
    release();
    capture.complete();
    return result;
  } as Response['end'];
  // Closed before the last byte was flushed: the client went away, and the copy may be partial.
  res.once('close', () => {
    release();
    capture.finish({ aborted: !res.writableFinished });
  });
}

/** The route as warnings name it: `GET /users/:id`. */
function routeName(req: Request): string {
  return `${req.method} ${req.baseUrl}${req.route ? String(req.route.path) : req.path}`;
}

/** Points the guard at everything a handler can read per request; returns the undo. */
function watch(req: Request, res: Response, guard: InputGuard): () => void {
  return undoAll([
    // First, before anything below turns properties into accessors: what middleware in front attached.
    watchOwnState(guard, req, { baseline: EXPRESS_OWN, always: PER_USER_STATE }),
    watchIncoming(guard, req),
    watchGetters(guard, req, GETTERS),
    watchBag(guard, res, 'locals', { prefix: 'locals', always: ['user'] }),
  ]);
}

/**
 * staleWhileRevalidate: the route runs again for the same URL on a request no client waits for.
 * Whatever happens to it (an error no handler takes, nothing matching), its response ends, so the
 * refresh settles and the URL is never left waiting for it.
 */
function refreshDetached(req: Request): void {
  const { req: detached, res } = detachedExchange(req.originalUrl ?? req.url ?? '/', req.headers);
  const done = (error?: unknown): void => {
    if (res.writableEnded) return;
    res.statusCode = error === undefined ? 404 : 500;
    res.end();
  };
  try {
    (req.app as unknown as { handle(req: unknown, res: unknown, done: (error?: unknown) => void): void }).handle(detached, res, done);
  } catch (error) {
    done(error);
  }
}

/** The source of the handlers after `cached()` on this route: editing them invalidates its entries. */
function handlersHash(route: { stack?: Array<{ handle: unknown }> }, middleware: unknown): string {
  let hash = routeHashes.get(route);
  if (hash === undefined) {
    const stack = route.stack ?? [];
    const after = stack.slice(stack.findIndex((layer) => layer.handle === middleware) + 1);
    hash = sourceHash(after.map((layer) => layer.handle));
    routeHashes.set(route, hash);
  }
  return hash;
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}
