import { connect, type Socket } from 'node:net';

export interface BurstResult {
  /** Milliseconds from writing each request to the end of its response, in socket order. */
  latencies: number[];
  statuses: number[];
}

/**
 * A true burst: opens `concurrency` connections, waits until every one is connected, then writes one
 * request on each in the same tick. A load generator that sends as each connection opens would spread
 * the requests over the connection set-up time and let late ones hit an already-filled cache.
 * `Connection: close` lets each response end with its socket, so no HTTP parsing is needed.
 */
export async function burst(url: string, concurrency: number): Promise<BurstResult> {
  return spreadBurst([url], concurrency);
}

/**
 * {@link burst} over several servers: request i goes to `urls[i % urls.length]`, all written in one tick.
 * `host` replaces each URL's own Host header: instances behind one load balancer see the same one (a
 * route's key includes it).
 */
export async function spreadBurst(urls: readonly string[], concurrency: number, host?: string): Promise<BurstResult> {
  const targets = urls.map((url) => {
    const { hostname, port, pathname, search } = new URL(url);
    return { hostname, port: Number(port), request: `GET ${pathname}${search} HTTP/1.1\r\nHost: ${host ?? `${hostname}:${port}`}\r\nConnection: close\r\n\r\n` };
  });
  const url = urls.join(', ');
  const sockets = await Promise.all(
    Array.from({ length: concurrency }, (_, i) => new Promise<{ socket: Socket; request: string }>((resolve, reject) => {
      const target = targets[i % targets.length]!;
      const socket = connect({ host: target.hostname, port: target.port }, () => resolve({ socket, request: target.request }));
      socket.once('error', reject);
    })),
  );

  const responses = sockets.map(
    ({ socket, request }) =>
      new Promise<{ ms: number; status: number }>((resolve, reject) => {
        let head = '';
        const start = performance.now();
        socket.setTimeout(30_000, () => socket.destroy(new Error(`burst request to ${url} timed out`)));
        socket.on('data', (chunk: Buffer) => {
          if (head.length < 16) head += chunk.toString('latin1', 0, 16);
        });
        socket.once('error', reject);
        socket.once('end', () => resolve({ ms: performance.now() - start, status: Number(head.split(' ')[1]) }));
        socket.write(request);
      }),
  );
  const results = await Promise.all(responses);
  for (const { socket } of sockets) socket.destroy();
  return { latencies: results.map((r) => r.ms), statuses: results.map((r) => r.status) };
}
