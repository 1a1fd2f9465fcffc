// Uncached Koa 3 + @koa/router server: the `floor` (writeHead/end of pre-serialized bytes) or the
// idiomatic `framework` handler (ctx.body = obj) on /data, plus uncached /slow and /big.
import Router from '@koa/router';
import { parseServerArgs } from './shared/args.ts';
import { createKoaApp, koaHandlers } from './shared/koa-app.ts';
import { createRouteState } from './shared/routes.ts';
import { serve } from './shared/serve.ts';

const args = parseServerArgs();
const app = createKoaApp();
const router = new Router();
const handlers = koaHandlers(createRouteState(args.bytes));

router.get('/data', args.mode === 'floor' ? handlers.floor : handlers.data);
router.get('/slow', handlers.slow);
router.get('/big', handlers.big);
router.get('/__count', handlers.count);
app.use(router.routes());

serve(app.callback());
