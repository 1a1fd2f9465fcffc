import { detachedExchange, sourceHash } from '@larder/core/adapter';
import type { Request } from 'express';

const routeHashes = new WeakMap<object, string>();

/** The route as warnings name it: `GET /users/:id`. */
export function routeName(req: Request): string {
  return `${req.method} ${req.baseUrl}${req.route ? String(req.route.path) : req.path}`;
}

/**
 * staleWhileRevalidate: the route runs again for the same URL on a request no client waits for.
 * Whatever happens to it (an error no handler takes, nothing matching), its response ends, so the
 * refresh settles and the URL is never left waiting for it.
 */
export function refreshDetached(req: Request): void {
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
export function handlersHash(route: { stack?: Array<{ handle: unknown }> }, middleware: unknown): string {
  let hash = routeHashes.get(route);
  if (hash === undefined) {
    const stack = route.stack ?? [];
    const after = stack.slice(stack.findIndex((layer) => layer.handle === middleware) + 1);
    hash = sourceHash(after.map((layer) => layer.handle));
    routeHashes.set(route, hash);
  }
  return hash;
}
