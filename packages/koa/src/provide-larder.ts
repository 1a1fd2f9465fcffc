import { defaultLarder, type Larder, type ProvideLarderOptions, type ResourceRegistry } from '@larder/core';
import { provideSettings } from '@larder/core/adapter';
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
 * Takes a larder, or options (`{ larder, invalidateOnWrite }`); unknown options throw `BadOptionError`.
 * @example
 * app.use(provideLarder(larder));
 * router.get('/users', async (ctx) => { ctx.body = await (await ctx.resources.get('db')).query('…'); });
 */
export function provideLarder(larderOrOptions?: Larder | ProvideLarderOptions): Middleware {
  // invalidateOnWrite is validated here and read by the write-invalidation behaviour.
  const { larder } = provideSettings(larderOrOptions);
  return function provideLarder(ctx, next) {
    const instance = larder ?? defaultLarder();
    ctx.larder = instance;
    ctx.resources = instance.resources;
    return next();
  };
}
