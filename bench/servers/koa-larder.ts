// Larder on Koa 3 + @koa/router: `cached({ ttl: '1h', larder })` in front of the baseline's handlers.
import Router from '@koa/router';
import mount from 'koa-mount';
import { cached, createLarder, larderInspector } from '@larder/koa';
import { parseServerArgs } from './shared/args.ts';
import { createKoaApp, koaHandlers } from './shared/koa-app.ts';
import { MiB } from './shared/payload.ts';
import { createRouteState } from './shared/routes.ts';
import { serve } from './shared/serve.ts';

const args = parseServerArgs();
const app = createKoaApp();
const router = new Router();
const handlers = koaHandlers(createRouteState(args.bytes));
const larder = createLarder({ store: args.store });
if (args.inspector) app.use(mount('/_larder', larderInspector({ token: 'bench-inspector-token', larder })));

router.get('/data', cached({ ttl: '1h', larder }), handlers.data);
router.get('/slow', cached({ ttl: '1h', larder }), handlers.slow);
// 10 MiB is above the default maxBodyBytes (8 MiB): raise it so the large-payload route is stored.
router.get('/big', cached({ ttl: '1h', larder, maxBodyBytes: 64 * MiB }), handlers.big);
router.get('/__count', handlers.count);
app.use(router.routes());

serve(app.callback(), () => larder.close());
