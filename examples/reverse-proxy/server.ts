/**
 * Starts the caching reverse proxy: `ORIGIN=http://127.0.0.1:8000 PORT=0 npm run proxy`
 * (or `node --import tsx examples/reverse-proxy/server.ts`). ORIGIN is required; PORT picks the port
 * (default 8080; 0 for any free one); LARDER_STORE the store (default: the SQLite file
 * .larder/cache.sqlite; e.g. LARDER_STORE=redis://localhost:6379 to share one cache between proxies).
 */
import type { AddressInfo } from 'node:net';
import { createLarder } from '@larder/express';
import { createProxy } from './app.js';

const origin = process.env.ORIGIN;
if (!origin || !URL.canParse(origin)) {
  console.error('Set ORIGIN to the server to proxy, e.g. ORIGIN=http://127.0.0.1:8000 PORT=0 npm run proxy');
  process.exit(2);
}
const larder = createLarder({ store: process.env.LARDER_STORE ?? 'sqlite://./.larder/cache.sqlite', storeTimeout: '1s' });
larder.on('error', (event) => console.warn(`[larder] ${event.reason ?? 'error'} in ${event.cache}: ${String(event.error)}`));

const host = process.env.HOST ?? '127.0.0.1';
const server = createProxy({ origin, larder }).listen(Number(process.env.PORT ?? 8080), host, () => {
  console.log(`listening on http://${host}:${(server.address() as AddressInfo).port} (origin ${origin}, store: ${larder.storeKind})`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    larder.close().finally(() => process.exit(0));
  });
}
