// Uncached Express 4/5 server: the `floor` (writeHead/end of pre-serialized bytes) or the idiomatic
// `framework` handler (res.json) on /data, plus uncached /slow and /big.
import { parseServerArgs } from './shared/args.ts';
import { createExpressApp, expressHandlers } from './shared/express-app.ts';
import { createRouteState } from './shared/routes.ts';
import { serve } from './shared/serve.ts';

const args = parseServerArgs();
const app = await createExpressApp(args.framework);
const handlers = expressHandlers(createRouteState(args.bytes));

app.get('/data', args.mode === 'floor' ? handlers.floor : handlers.data);
app.get('/slow', handlers.slow);
app.get('/big', handlers.big);
app.get('/__count', handlers.count);

serve(app);
