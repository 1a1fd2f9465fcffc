// Peer on Express 4/5: apicache's in-memory store in front of the same handlers as the baseline.
import apicache from 'apicache';
import { parseServerArgs } from './shared/args.ts';
import { createExpressApp, expressHandlers } from './shared/express-app.ts';
import { createRouteState } from './shared/routes.ts';
import { serve } from './shared/serve.ts';

const args = parseServerArgs();
const app = await createExpressApp(args.framework);
const handlers = expressHandlers(createRouteState(args.bytes));

app.get('/data', apicache.middleware('1 hour'), handlers.data);
app.get('/slow', apicache.middleware('1 hour'), handlers.slow);
app.get('/big', handlers.big);
app.get('/__count', handlers.count);

serve(app);
