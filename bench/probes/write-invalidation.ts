// What invalidation on writes costs a hit: every HTTP entry is read with its path's tag version, so a
// hit reads one tag more, and computes the tag from the path. Two measurements, each with the path tag
// and without it (a route with `invalidateOnWrite: false`: the hit as it was before), in alternating rounds:
//
// - core: RouteCache.decide() up to the replay plan, in process, for 256 stored responses on as many
//   paths (so the tag versions are read under many tag names, as in an app), on the memory store, a
//   SQLite file and Redis;
// - http: hits through Express 5 (memory store), the server pinned to CPU 0 and autocannon on CPU 1
//   (as `npm run bench` does), requests per second on two routes of one server (probes/path-tag-server.ts).
//
// Prints a table and one `RESULT <json>` line. The server runs the built packages: `npm run build` first.
//   node --import tsx bench/probes/write-invalidation.ts [--rounds 15] [--batch 20000] [--http-rounds 6]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLarder, type Larder } from '@larder/core';
import { RouteCache, type Decision, type RequestFacts } from '@larder/core/adapter';
import { planCpus } from '../lib/cpus.ts';
import { runLoad } from '../lib/load.ts';
import { redisUnavailable, startRedis, type RedisServer } from '../lib/redis.ts';
import { startServer } from '../lib/spawn.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '15' }, batch: { type: 'string', default: '20000' }, 'http-rounds': { type: 'string', default: '6' } },
});
const rounds = Number(values.rounds);

interface Row {
  store: string;
  withTagNs: number;
  withoutTagNs: number;
  ratio: number;
}

const PATHS = 256;

/** Request facts of `GET /users/<id>`. */
function facts(larder: Larder, id: number): RequestFacts {
  const url = `/users/${id}`;
  return { method: 'GET', host: 'api.example', url, routeId: '/users/:id', codeHash: 'probe', params: { id: String(id) }, query: {}, body: undefined, headers: { host: 'api.example' }, request: {}, larder };
}

/** Stores one response per path through a miss, then waits until each reads back as a hit. */
async function prime(cache: RouteCache, larder: Larder): Promise<void> {
  for (let id = 0; id < PATHS; id++) {
    const decision = await cache.decide(facts(larder, id));
    if (decision.kind !== 'miss') throw new Error(`expected a miss, got ${decision.kind}`);
    decision.capture.head(200, [['Content-Type', 'application/json']]);
    decision.capture.chunk(Buffer.from(JSON.stringify({ id, name: 'x'.repeat(1000) })));
    decision.capture.finish({});
  }
  for (let id = 0; id < PATHS; id++) {
    for (let attempt = 0; (await cache.decide(facts(larder, id))).kind !== 'replay'; attempt++) {
      if (attempt > 200) throw new Error('a primed response never became a hit');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

async function hits(cache: RouteCache, larder: Larder, count: number): Promise<number> {
  const requests = Array.from({ length: PATHS }, (_, id) => facts(larder, id));
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    let decision = cache.decide(requests[i % PATHS]!);
    if (decision instanceof Promise) decision = await decision;
    if ((decision as Decision).kind !== 'replay') throw new Error(`expected a hit, got ${(decision as Decision).kind}`);
  }
  return Number(process.hrtime.bigint() - start) / count;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(store: string, label: string, batch: number): Promise<Row> {
  const larder = createLarder({ store, storeTimeout: '2s' });
  const tagged = new RouteCache('1h', { larder });
  const untagged = new RouteCache('1h', { larder, invalidateOnWrite: false });
  await prime(tagged, larder);
  await prime(untagged, larder);
  await hits(tagged, larder, batch);
  await hits(untagged, larder, batch);
  const withTag: number[] = [];
  const withoutTag: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so drift (GC, JIT, the machine) falls on both sides.
    const first = round % 2 === 0;
    const a = await hits(first ? tagged : untagged, larder, batch);
    const b = await hits(first ? untagged : tagged, larder, batch);
    const [w, wo] = first ? [a, b] : [b, a];
    withTag.push(w);
    withoutTag.push(wo);
    ratios.push(w / wo);
  }
  await larder.close();
  return { store: label, withTagNs: median(withTag), withoutTagNs: median(withoutTag), ratio: median(ratios) };
}

const dir = mkdtempSync(join(tmpdir(), 'larder-probe-'));
const rows: Row[] = [];
let redis: RedisServer | undefined;
try {
  rows.push(await measure('memory://', 'memory', Number(values.batch)));
  rows.push(await measure(`sqlite://${join(dir, 'probe.sqlite')}`, 'sqlite', 1_000));
  const unavailable = redisUnavailable();
  if (unavailable) console.log(`redis skipped: ${unavailable}`);
  else {
    redis = await startRedis(dir);
    rows.push(await measure(redis.url, 'redis', 1_000));
  }
} finally {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** Requests per second on each route, alternating, 32 connections, 3 s per run. */
async function measureHttp(httpRounds: number): Promise<{ withTagRps: number; withoutTagRps: number; ratio: number; cpus: string }> {
  const plan = planCpus(true);
  const server = await startServer({ label: 'path-tag', file: 'bench/probes/path-tag-server.ts', args: ['memory://'] });
  try {
    const run = (route: string) => runLoad({ url: `${server.url}/${route}/42`, connections: 32, duration: 3 }).then((sample) => sample.rps);
    await run('with');
    await run('without');
    const withTag: number[] = [];
    const withoutTag: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < httpRounds; round++) {
      const first = round % 2 === 0;
      const a = await run(first ? 'with' : 'without');
      const b = await run(first ? 'without' : 'with');
      const [w, wo] = first ? [a, b] : [b, a];
      withTag.push(w);
      withoutTag.push(wo);
      // Time per hit with the tag over time per hit without it.
      ratios.push(wo / w);
    }
    return { withTagRps: median(withTag), withoutTagRps: median(withoutTag), ratio: median(ratios), cpus: plan.description };
  } finally {
    await server.stop();
  }
}

// --http-rounds 0 skips the HTTP part.
const http = Number(values['http-rounds']) > 0 ? await measureHttp(Number(values['http-rounds'])) : undefined;

console.log('core     hit with path tag   hit without   ratio (median of paired rounds)');
for (const row of rows) {
  console.log(`${row.store.padEnd(8)} ${(row.withTagNs / 1000).toFixed(2).padStart(12)} µs ${(row.withoutTagNs / 1000).toFixed(2).padStart(10)} µs   ${row.ratio.toFixed(3)}`);
}
if (http) console.log(`http     ${http.withTagRps.toFixed(0).padStart(10)} req/s ${http.withoutTagRps.toFixed(0).padStart(8)} req/s   ${http.ratio.toFixed(3)} (time per hit; ${http.cpus})`);
console.log(`RESULT ${JSON.stringify({ rounds, rows, http })}`);
