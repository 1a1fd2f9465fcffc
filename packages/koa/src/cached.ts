import { Stream, Transform, pipeline, type Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { defaultLarder, type CachedOptions, type Larder } from '@larder/core';
import {
  RouteCache, detachedExchange, isRefresh, replaceSearch, responseHeaders, sourceHash, undoAll,
  watchBag, watchGetters, watchIncoming, watchOwnState, type Capture, type Decision, type InputGuard, type ReplayPlan,
} from '@larder/core/adapter';
import type { Context, Middleware, Next } from 'koa';
import { invalidateOnWrite } from './invalidate-on-write.js';

/** The middleware returned by `cached()`. */
export type CachedMiddleware = Middleware & {
  /** Drops every response this middleware stored, in every process sharing the store. */
  clear(): Promise<void>;
};

/** What @koa/router leaves on the context (structural, so the router stays an optional peer). */
interface RouterLayer {
  path: string | RegExp;
  methods: readonly string[];
  stack: readonly unknown[];
}
type RoutedContext = Context & { matched?: RouterLayer[]; routerPath?: string; _matchedRoute?: string | RegExp; params?: unknown; larder?: Larder; mountPath?: string };

/** Statuses Koa answers without a body, whatever ctx.body holds. */
const EMPTY = new Set([204, 205, 304]);
const layerHashes = new WeakMap<RouterLayer, string>();
/**
 * What Koa, @koa/router, koa-mount, koa-views (its `render` reads `ctx.state`, which is watched) and
 * provideLarder put on the context: not per-request state.
 */
const CONTEXT_OWN: ReadonlySet<string> = new Set([
  'request', 'response', 'app', 'req', 'res', 'originalUrl', 'state', 'matched', 'router', 'routeMatched', 'captures',
  'params', 'routerPath', 'routerName', 'mountPath', 'larder', 'resources', 'log', 'respond', 'render',
]);
/** What Koa and body parsers put on `ctx.request` (and its memoized values; `query` is cached()'s own stripped view): not per-request state. */
const REQUEST_OWN: ReadonlySet<string> = new Set(['app', 'req', 'res', 'ctx', 'response', 'originalUrl', 'params', 'memoizedURL', 'accept', 'body', 'log', 'ip', 'ips', 'query']);

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

/** Writes a stored response. Headers go first, so the body setter keeps the stored Content-Type. */
function send(ctx: Context, plan: ReplayPlan): void {
  ctx.status = plan.status;
  const { res } = ctx;
  const headers = plan.headers;
  const body = plan.body;
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    // With a body, Koa's body setter writes Content-Length itself.
    if (body === undefined || name !== 'Content-Length') res.setHeader(name, value);
  }
  if (body === undefined) return;
  const typed = res.hasHeader('Content-Type');
  ctx.body = body;
  if (!typed) ctx.remove('Content-Type');
}

/**
 * Runs the handler on what the key holds while the guard watches its reads, then copies the response
 * Koa is about to send. A HEAD miss runs as GET, so the waiting requests and the store get the body;
 * Koa and Node still send none to a HEAD client.
 */
async function capture(ctx: Context, next: Next, capture: Capture): Promise<void> {
  const head = ctx.method === 'HEAD';
  if (head) ctx.method = 'GET';
  const asHead = () => {
    if (head && ctx.method === 'GET') ctx.method = 'HEAD';
  };
  const before = { ...ctx.response.headers };
  capture.baseline(Object.entries(before).map(([name, value]) => [name, Array.isArray(value) ? value : String(value)] as const));
  /** staleIfError: the stale response replaces the handler's answer, keeping only what middleware before cached() set. */
  const sendStale = (plan: ReplayPlan) => {
    for (const name of ctx.res.getHeaderNames()) if (!(name in before)) ctx.res.removeHeader(name);
    send(ctx, plan);
    capture.finish({});
  };
  const unwatch = watch(ctx, capture);
  try {
    await next();
  } catch (error) {
    unwatch();
    asHead();
    // A thrown 4xx (ctx.throw(404)) is an answer, not a failure: only 5xx may be replaced by a stale copy.
    const stale = statusOf(error) >= 500 ? capture.failed() : undefined;
    if (stale) return sendStale(stale);
    capture.finish({ error });
    throw error;
  }
  unwatch();
  if (ctx.respond === false) {
    asHead();
    return capture.finish({ incomplete: true }); // the handler wrote to ctx.res itself
  }
  try {
    settleBody(ctx);
  } catch (error) {
    asHead();
    // Koa's own JSON.stringify would throw the same error in respond(): let it, unchanged.
    return capture.finish({ error });
  }
  const verdict = capture.head(ctx.status, responseHeaders(ctx.res));
  if ('replace' in verdict) {
    asHead();
    return sendStale(verdict.replace);
  }
  for (const [name, value] of verdict.add) ctx.set(name, value);
  const body: unknown = ctx.body;
  if (!ctx.writable) {
    asHead();
    return capture.finish({ aborted: true });
  }
  if (EMPTY.has(ctx.status)) {
    asHead();
    return capture.complete();
  }
  // Without a body, Koa's respond() or a middleware before cached() (a 404 page, koa-static's defer) writes one later.
  if (body === null || body === undefined || isWebBody(body)) {
    asHead();
    return capture.finish({ incomplete: true });
  }
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    capture.chunk(Buffer.isBuffer(body) ? body : Buffer.from(body));
    asHead();
    return capture.complete();
  }
  // A stream must flow through the copy to its end: for a HEAD client Koa would not pipe it, so the
  // request stays GET until the response is over (Node sends no body to a HEAD request anyway).
  ctx.res.once('close', asHead);
  tee(ctx, body as Readable, capture);
}

/** Koa's respond() serializes objects with JSON.stringify: the same bytes, as a Buffer, are sent and stored (the JSON Content-Type stays). */
function settleBody(ctx: Context): void {
  const body: unknown = ctx.body;
  if (body === null || typeof body !== 'object' || Buffer.isBuffer(body) || isStream(body) || isWebBody(body)) return;
  ctx.body = Buffer.from(JSON.stringify(body));
}

/** Streams the body to the client untouched while copying its chunks; complete when the source ends. */
function tee(ctx: Context, source: Readable, capture: Capture): void {
  const length = ctx.response.get('Content-Length');
  const copy = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      capture.chunk(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      capture.complete();
      callback();
    },
  });
  const gone = () => ctx.res.destroyed && !ctx.res.writableFinished;
  pipeline(source, copy, (error) => error && capture.finish(gone() ? { aborted: true } : { error }));
  ctx.res.once('close', () => capture.finish({ aborted: gone() }));
  ctx.body = copy;
  // Replacing a stream body makes Koa drop Content-Length; the handler's own one still describes these bytes.
  if (length) ctx.set('Content-Length', length);
}

/**
 * Shows the handler the target the key holds and points the guard at everything it can read per
 * request; returns the undo.
 */
function watch(ctx: Context, capture: Capture): () => void {
  const { req, request } = ctx;
  const guard: InputGuard = capture.guard;
  const search = capture.search;
  // Koa memoizes the negotiator over the headers it first saw, and the URL (ctx.URL) over the target and
  // the host it first saw: fresh ones read through the guard and the target below.
  const memo = request as typeof request & { memoizedURL?: URL };
  const { accept, memoizedURL } = memo;
  memo.accept = undefined as unknown as typeof accept;
  memo.memoizedURL = undefined;
  const undo = undoAll([
    replaceSearch(req, 'url', search),
    replaceSearch(ctx, 'originalUrl', search),
    replaceSearch(request, 'originalUrl', search),
    capture.askWithValidators(req),
    // Before anything below turns properties into accessors: what middleware in front attached.
    watchOwnState(guard, ctx, { baseline: CONTEXT_OWN, always: ['session', 'cookies'] }),
    watchOwnState(guard, request, { baseline: REQUEST_OWN }),
    watchIncoming(guard, req),
    // ctx.ip is memoized (a logger in front may have read it, from X-Forwarded-For): every read counts.
    watchGetters(guard, request, { ip: { input: 'ip', kind: 'client' }, ips: { input: 'ip', kind: 'client' } }),
    watchBag(guard, ctx, 'state', { prefix: 'state', always: ['user'] }),
  ]);
  return () => {
    undo();
    memo.accept = accept;
    memo.memoizedURL = memoizedURL;
  };
}

/** The route as warnings name it: `GET /users/:id`. */
function routeName(ctx: Context, layer: RouterLayer | undefined): string {
  return `${ctx.method} ${layer ? String(layer.path) : ctx.path}`;
}

/** staleWhileRevalidate: the app runs again for the same URL on a request no client waits for. */
function refreshDetached(ctx: Context): void {
  const { req, res } = detachedExchange(ctx.originalUrl, ctx.req.headers);
  void ctx.app.callback()(req, res);
}

/** The source of the middleware after `cached()` on this route: editing it invalidates its entries. */
function handlersHash(layer: RouterLayer, middleware: unknown): string {
  let hash = layerHashes.get(layer);
  if (hash === undefined) {
    hash = sourceHash(layer.stack.slice(layer.stack.indexOf(middleware) + 1));
    layerHashes.set(layer, hash);
  }
  return hash;
}

/** Koa 3 streams these itself (Koa 2 serializes them as JSON); they are served as Koa would, not stored. */
function isWebBody(body: unknown): boolean {
  return body instanceof Blob || body instanceof ReadableStream || body instanceof Response;
}

function isStream(body: object): boolean {
  return body instanceof Stream || (typeof (body as Readable).pipe === 'function' && typeof (body as Readable).read === 'function');
}

function statusOf(error: unknown): number {
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : 500;
}
