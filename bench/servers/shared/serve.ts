import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Listens on an ephemeral loopback port and prints `READY <port>`, the line the runner waits for.
 * SIGTERM closes the server, then `onClose` (a Larder's store connections), then exits.
 */
export function serve(listener: RequestListener, onClose: () => Promise<void> | void = () => {}): void {
  const server = createServer(listener);
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`READY ${port}\n`);
  });

  let closing = false;
  process.on('SIGTERM', () => {
    if (closing) return;
    closing = true;
    server.closeAllConnections();
    server.close();
    Promise.resolve()
      .then(onClose)
      .catch((error: unknown) => console.error('close failed:', error))
      .finally(() => process.exit(0));
  });
}
