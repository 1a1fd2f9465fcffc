// One instance of an app run as a fleet (bench/scenarios/fleet.ts): Express 5 with Larder on a shared store.
// `/slow` is the stampede route (50 ms handler), `/slow-unleased` the same with `lease: false`; `/tagged` carries the tag `bench`, which
// `POST /__invalidate?tag=bench` invalidates in every instance sharing the store.
import { cached, createLarder } from '@larder/express';
import { parseServerArgs } from './shared/args.ts';
import { createExpressApp, expressHandlers } from './shared/express-app.ts';
import { createRouteState } from './shared/routes.ts';
import { serve } from './shared/serve.ts';

const args = parseServerArgs();
const app = await createExpressApp('express5');
const handlers = expressHandlers(createRouteState(args.bytes));
const larder = createLarder({ store: args.store });

app.get('/slow', cached({ ttl: '1h', larder }), handlers.slow);
// The control: every process runs the handler itself (in-process single-flight only).
app.get('/slow-unleased', cached({ ttl: '1h', larder, lease: false }), handlers.slow);
app.get('/tagged', cached({ ttl: '1h', larder, tags: ['bench'] }), handlers.data);
app.post('/__invalidate', async (req, res) => {
  await larder.invalidate(String(req.query.tag));
  res.json({ invalidated: req.query.tag });
});
app.get('/__count', handlers.count);
// Store errors by reason (a read past storeTimeout runs the handler without taking part in the lease).
const errors: Record<string, number> = {};
larder.on('error', (event) => (errors[event.reason ?? 'error'] = (errors[event.reason ?? 'error'] ?? 0) + 1));
app.get('/__errors', (_req, res) => res.json(errors));

serve(app, () => larder.close());
