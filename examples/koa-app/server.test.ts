import { describeServer } from '../shared/server-scenario.js';

describeServer('examples/koa-app/server.ts', new URL('./server.ts', import.meta.url));
