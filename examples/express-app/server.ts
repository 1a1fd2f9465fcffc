/**
 * Starts the Express example: `npm start` (or `node --import tsx examples/express-app/server.ts`).
 * PORT picks the port (default 3000; 0 for any free one); LARDER_STORE the store (default: the
 * SQLite file .larder/cache.sqlite, created on first run; e.g. LARDER_STORE=redis://localhost:6379).
 */
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { printWelcome } from '../shared/welcome.js';

const { app, larder, close } = createApp();

// A store failure never fails a request (the handler just runs), but you want to hear about it.
larder.on('error', (event) => console.warn(`[larder] ${event.reason ?? 'error'} in ${event.cache}: ${String(event.error)}`));

const server = app.listen(Number(process.env.PORT ?? 3000), () => {
  printWelcome('Express', `http://localhost:${(server.address() as AddressInfo).port}`, larder.storeKind);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    close().finally(() => process.exit(0));
  });
}
