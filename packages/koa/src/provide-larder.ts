import { defaultLarder, type Larder, type ProvideLarderOptions, type ResourceRegistry } from '@larder/core';
import { provideSettings } from '@larder/core/adapter';
import type { Middleware } from 'koa';
import { invalidateOnWrite } from './invalidate-on-write.js';

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
 * `ctx.resources.get('db')`, `ctx.larder.stats()`. `cached()` without a `larder` option uses it. And,
 * unless `invalidateOnWrite: false`, a successful POST, PUT, PATCH or DELETE drops the stored responses
 * of its path and of its same-origin `Location`/`Content-Location`, in every process sharing the store.
 * Takes a larder, or options (`{ larder, invalidateOnWrite }`); unknown options throw `BadOptionError`.
 * @example
 * app.use(provideLarder(larder));
 * app.use(provideLarder({ larder, invalidateOnWrite: false }));
 * router.get('/users', async (ctx) => { ctx.body = await (await ctx.resources.get('db')).query('…'); });
 */
export function provideLarder(larderOrOptions?: Larder | ProvideLarderOptions): Middleware {
  const { larder, invalidateOnWrite: invalidate } = provideSettings(larderOrOptions);
  return function provideLarder(ctx, next) {
    const instance = larder ?? defaultLarder();
    ctx.larder = instance;
    ctx.resources = instance.resources;
    return invalidateOnWrite(ctx, next, instance, invalidate);
  };
}
