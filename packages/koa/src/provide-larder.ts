import { defaultLarder, type Larder, type ResourceRegistry } from '@larder/core';
import type { Middleware } from 'koa';

declare module 'koa' {
  interface DefaultContext {
    /** The larder installed by `provideLarder()`. */
    larder: Larder;
    /** Its resource registry: `await ctx.resources.get('db')`. */
    resources: ResourceRegistry;
  }
}

/**
 * Makes a larder and its resource registry reachable from every middleware, in Koa's idiom:
 * `ctx.resources.get('db')`, `ctx.larder.stats()`. `cached()` without a `larder` option uses it.
 * @example
 * app.use(provideLarder(larder));
 * router.get('/users', async (ctx) => { ctx.body = await (await ctx.resources.get('db')).query('…'); });
 */
export function provideLarder(larder?: Larder): Middleware {
  return function provideLarder(ctx, next) {
    const instance = larder ?? defaultLarder();
    ctx.larder = instance;
    ctx.resources = instance.resources;
    return next();
  };
}
