// Larder on Express 4/5: `cached({ ttl: '1h', larder })` in front of the same handlers as the baseline.
import { cached, createLarder, larderInspector } from '@larder/express';
import { parseServerArgs } from './shared/args.ts';
import { createExpressApp, expressHandlers } from './shared/express-app.ts';
import { MiB } from './shared/payload.ts';
import { createRouteState } from './shared/routes.ts';
import { serve } from './shared/serve.ts';

const args = parseServerArgs();
const app = await createExpressApp(args.framework);
const handlers = expressHandlers(createRouteState(args.bytes));
const larder = createLarder({ store: args.store });
if (args.inspector) app.use('/_larder', larderInspector({ token: 'bench-inspector-token', larder }));

app.get('/data', cached({ ttl: '1h', larder }), handlers.data);
app.get('/slow', cached({ ttl: '1h', larder }), handlers.slow);
// 10 MiB is above the default maxBodyBytes (8 MiB): raise it so the large-payload route is stored.
app.get('/big', cached({ ttl: '1h', larder, maxBodyBytes: 64 * MiB }), handlers.big);
app.get('/__count', handlers.count);

serve(app, () => larder.close());
