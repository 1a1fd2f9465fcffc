/**
 * Starts the Koa example: `node --import tsx examples/koa-app/server.ts`.
 * PORT picks the port (default 3001, so it can run beside the Express one; 0 for any free one);
 * LARDER_STORE the store (default: the SQLite file .larder/cache.sqlite, created on first run).
 */
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { printWelcome } from '../shared/welcome.js';

const { app, larder, close } = createApp();

// A store failure never fails a request (the handler just runs), but you want to hear about it.
larder.on('error', (event) => console.warn(`[larder] ${event.reason ?? 'error'} in ${event.cache}: ${String(event.error)}`));

const server = app.listen(Number(process.env.PORT ?? 3001), () => {
  printWelcome('Koa', `http://localhost:${(server.address() as AddressInfo).port}`, larder.storeKind);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    close().finally(() => process.exit(0));
  });
}
