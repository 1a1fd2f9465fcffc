/**
 * One instance of an app run as a fleet: an Express server caching on the store `LARDER_STORE` names,
 * as each of several processes behind a load balancer would. Prints `READY <port>` once listening.
 *
 * Routes under test (each counts its handler's runs in this process):
 * - `GET /slow?k=`: `cached()` whose handler waits for the gate (`POST /__open`); `GET /slow-unleased?k=`
 *   is the same with `lease: false`, and `GET /slow-short?k=` with `lease: '1s'`;
 * - `GET /data?k=` and `GET /data-unleased?k=`: a `cacheData` function behind the gate, with and without a lease;
 * - `GET /unstorable?k=`: behind the gate too, answers `Cache-Control: no-store`, with `lease: '1h'`;
 * - `GET /swr` and `GET /swr-unleased`: behind the gate, `ttl: '10s'` and `staleWhileRevalidate: '1h'`
 *   (`POST /__shift?ms=` moves this process's clock, so that entries go stale without waiting);
 * - `GET /tagged`: `cached({ tags: ['fleet'] })`; `POST /__invalidate?tag=` invalidates a tag.
 * `GET /__state` answers the counters; `FLEET_NEAR_BYTES` sets `nearCacheBytes`.
 *
 * Run: LARDER_STORE=redis://127.0.0.1:6379 node --import tsx test/fleet/worker.ts
 */
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { cacheData, cached, createLarder } from '@larder/express';

let shift = 0;
const larder = createLarder({
  store: process.env.LARDER_STORE,
  // Patient: a fresh connection on a loaded 2-core CI machine can take longer than the default 100 ms.
  storeTimeout: '10s',
  clock: { now: () => Date.now() + shift },
  ...(process.env.FLEET_NEAR_BYTES ? { nearCacheBytes: Number(process.env.FLEET_NEAR_BYTES) } : {}),
});
larder.on('error', (event) => process.stderr.write(`larder error: ${event.reason} ${String(event.error)}\n`));

const runs: Record<string, number> = {};
const arrived: Record<string, number> = {};
const count = (counter: Record<string, number>, name: string) => (counter[name] = (counter[name] ?? 0) + 1);

/** Held computations wait here until the test opens the gate (deferred, not timed). */
let gate: { opened: boolean; wait: Promise<void>; open(): void };
function closeGate(): void {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  gate = { opened: false, wait, open: () => ((gate.opened = true), open()) };
}
closeGate();

function held(name: string): RequestHandler {
  return async function heldHandler(req, res) {
    count(runs, name);
    await gate.wait;
    res.json({ route: name, k: req.query.k, by: process.pid });
  };
}

function arrival(name: string): RequestHandler {
  return function arrivalCounter(_req, _res, next) {
    count(arrived, name);
    next();
  };
}

const compute = (name: string, lease?: false) =>
  cacheData(
    async function fleetCompute(k: string) {
      count(runs, name);
      await gate.wait;
      return { route: name, k, by: process.pid };
    },
    { larder, name, ...(lease === false ? { lease } : {}) },
  );
const computes = { data: compute('data'), 'data-unleased': compute('data-unleased', false) };

const app = express();
for (const [path, lease] of [['slow', undefined], ['slow-unleased', false], ['slow-short', '1s']] as const) {
  app.get(`/${path}`, arrival(path), cached({ ttl: '1h', larder, ...(lease === undefined ? {} : { lease }) }), held(path));
}
for (const name of ['data', 'data-unleased'] as const) {
  app.get(`/${name}`, arrival(name), async (req, res) => {
    res.json(await computes[name](String(req.query.k)));
  });
}
app.get('/unstorable', arrival('unstorable'), cached({ ttl: '1h', larder, lease: '1h' }), (req, res, next) => {
  res.set('Cache-Control', 'no-store');
  held('unstorable')(req, res, next);
});
for (const [path, lease] of [['swr', undefined], ['swr-unleased', false]] as const) {
  app.get(`/${path}`, arrival(path), cached({ ttl: '10s', staleWhileRevalidate: '1h', larder, ...(lease === undefined ? {} : { lease }) }), held(path));
}
app.get('/tagged', cached({ ttl: '1h', tags: ['fleet'], larder }), (_req, res) => {
  res.json({ route: 'tagged', run: count(runs, 'tagged'), by: process.pid });
});

app.post('/__open', (_req, res) => {
  gate.open();
  res.json({ opened: true });
});
app.post('/__close', (_req, res) => {
  if (gate.opened) closeGate();
  res.json({ opened: false });
});
app.post('/__shift', (req, res) => {
  shift += Number(req.query.ms);
  res.json({ shift });
});
app.post('/__invalidate', async (req, res) => {
  await larder.invalidate(String(req.query.tag));
  res.json({ invalidated: req.query.tag });
});
app.get('/__state', (_req, res) => {
  res.json({ pid: process.pid, runs, arrived });
});

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void larder.close().finally(() => process.exit(0));
});
