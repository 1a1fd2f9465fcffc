import { describeServer } from '../shared/server-scenario.js';

describeServer('examples/express-app/server.ts (npm start)', new URL('./server.ts', import.meta.url));
