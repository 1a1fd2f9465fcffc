// Peer on Koa 3: koa-cash with an in-memory Map store (its README's get/set pattern), in front of the
// baseline's handlers. koa-cash only caches routes that call `ctx.cashed()`.
import Router from '@koa/router';
import type { Context } from 'koa';
import koaCash from 'koa-cash';
import { parseServerArgs } from './shared/args.ts';
import { createKoaApp, koaHandlers, type KoaHandler } from './shared/koa-app.ts';
import { createRouteState } from './shared/routes.ts';
import { serve } from './shared/serve.ts';

type CashContext = Context & { cashed(maxAge?: number): Promise<boolean> };

function cashed(handler: KoaHandler): KoaHandler {
  return async function cashedRoute(ctx) {
    if (await (ctx as CashContext).cashed()) return;
    await handler(ctx);
  };
}

const args = parseServerArgs();
const app = createKoaApp();
const router = new Router();
const handlers = koaHandlers(createRouteState(args.bytes));
const store = new Map<string, unknown>();

app.use(
  koaCash({
    get: async (key) => store.get(key),
    set: async (key, value) => store.set(key, value),
    // Replays report themselves, as Larder's X-Cache does; the runner checks hits by handler count.
    setCachedHeader: true,
  }),
);
router.get('/data', cashed(handlers.data));
router.get('/slow', cashed(handlers.slow));
router.get('/big', handlers.big);
router.get('/__count', handlers.count);
app.use(router.routes());

serve(app.callback());
