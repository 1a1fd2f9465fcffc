import type { Larder } from '@larder/core';
import { detachedExchange, sourceHash } from '@larder/core/adapter';
import type { Context } from 'koa';

/** What @koa/router leaves on the context (structural, so the router stays an optional peer). */
export interface RouterLayer {
  path: string | RegExp;
  methods: readonly string[];
  stack: readonly unknown[];
}
export type RoutedContext = Context & { matched?: RouterLayer[]; routerPath?: string; _matchedRoute?: string | RegExp; params?: unknown; larder?: Larder; mountPath?: string };

const layerHashes = new WeakMap<RouterLayer, string>();

/** The route as warnings name it: `GET /users/:id`. */
export function routeName(ctx: Context, layer: RouterLayer | undefined): string {
  return `${ctx.method} ${layer ? String(layer.path) : ctx.path}`;
}

/** staleWhileRevalidate: the app runs again for the same URL on a request no client waits for. */
export function refreshDetached(ctx: Context): void {
  const { req, res } = detachedExchange(ctx.originalUrl, ctx.req.headers);
  void ctx.app.callback()(req, res);
}

/** The source of the middleware after `cached()` on this route: editing it invalidates its entries. */
export function handlersHash(layer: RouterLayer, middleware: unknown): string {
  let hash = layerHashes.get(layer);
  if (hash === undefined) {
    hash = sourceHash(layer.stack.slice(layer.stack.indexOf(middleware) + 1));
    layerHashes.set(layer, hash);
  }
  return hash;
}
