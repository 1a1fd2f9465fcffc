import { replaceSearch, undoAll, watchBag, watchGetters, watchIncoming, watchOwnState, type Capture, type InputGuard } from '@larder/core/adapter';
import type { Context } from 'koa';

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
 * Shows the handler the target the key holds and points the guard at everything it can read per
 * request; returns the undo.
 */
export function watchRequest(ctx: Context, capture: Capture): () => void {
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
