// Uncached Koa 3 + @koa/router server on /data: the `floor` (a route setting ctx.body to pre-serialized
// bytes), the idiomatic `framework` handler (ctx.body = obj), or the `raw` reference (writeHead/end before
// routing, ctx.respond = false); plus uncached /slow and /big.
import Router from '@koa/router';
import { parseServerArgs } from './shared/args.ts';
import { createKoaApp, koaHandlers } from './shared/koa-app.ts';
import { createRouteState } from './shared/routes.ts';
import { serve } from './shared/serve.ts';

const args = parseServerArgs();
const app = createKoaApp();
const router = new Router();
const handlers = koaHandlers(createRouteState(args.bytes));

if (args.mode === 'raw') {
  app.use((ctx, next) => (ctx.method === 'GET' && ctx.path === '/data' ? handlers.raw(ctx) : next()));
}
router.get('/data', args.mode === 'floor' ? handlers.floor : handlers.data);
router.get('/slow', handlers.slow);
router.get('/big', handlers.big);
router.get('/__count', handlers.count);
app.use(router.routes());

serve(app.callback());
