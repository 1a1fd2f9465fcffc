/**
 * Many instances on one shared store: real Node processes (test/fleet/worker.ts, an Express app each) on
 * one SQLite file and on one real redis-server (skipped loudly when redis-server is missing, required under
 * CI=true). Handlers wait behind a gate the test opens, so concurrency is proven without sleeping.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@keyv/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/async.js';
import { hasRedisServer, maybeRedis, RedisServer } from '../support/redis-server.js';
import { burst, startFleet, total, Worker, type Reply } from './fleet.js';

const redis = await maybeRedis();
const scratch = mkdtempSync(join(tmpdir(), 'larder-fleet-'));
afterAll(async () => {
  await redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Starting Node processes through tsx on a loaded 2-core machine takes a while. */
const FLEET_TIMEOUT = 120_000;
/** How soon an invalidation in one instance must be seen by another (the push arrives in well under 1 ms). */
const COHERENCE_DEADLINE_MS = 50;
const CONCURRENCY = 200;

const stores: Array<[label: string, url: () => string, available: boolean]> = [
  ['one SQLite file', () => `sqlite://${join(scratch, `${randomUUID()}.sqlite`)}`, true],
  ['one redis-server', () => `${redis!.url}/${nextDb++}`, redis !== undefined],
];
let nextDb = 1;

const xCache = (reply: Reply) => reply.headers['x-cache'];
const bodyOf = (reply: Reply) => JSON.parse(reply.body) as { by: number; k?: string; route: string };
const uniqueKey = () => randomUUID().slice(0, 8);

/** Opens the gate of every worker given, once `ready` holds; then closes them again for the next test. */
async function openGatesWhen(workers: readonly Worker[], ready: () => Promise<void>): Promise<void> {
  await eventually(ready, 30_000);
  await Promise.all(workers.map((worker) => worker.post('/__open')));
}

describe.each(stores)('a fleet of 4 processes on %s', (_label, makeUrl, available) => {
  let fleet: Worker[] = [];
  beforeAll(async () => {
    if (available) fleet = await startFleet(4, makeUrl());
  }, FLEET_TIMEOUT);
  afterAll(() => Promise.all(fleet.map((worker) => worker.stop())));
  afterEach(() => Promise.all(fleet.map((worker) => worker.post('/__close'))));

  /**
   * 200 concurrent requests for one cold key, spread over the fleet. The gate opens once all have arrived
   * and a handler is running, so every request finds the key cold. Resolves with the replies and the
   * handler runs they caused, over the whole fleet.
   */
  async function coldBurst(route: string): Promise<{ replies: Reply[]; runs: number }> {
    const [arrivedBefore, runsBefore] = [await total(fleet, 'arrived', route), await total(fleet, 'runs', route)];
    const replies = burst(fleet, `/${route}?k=${uniqueKey()}`, CONCURRENCY);
    await openGatesWhen(fleet, async () => {
      expect(await total(fleet, 'arrived', route)).toBe(arrivedBefore + CONCURRENCY);
      expect(await total(fleet, 'runs', route)).toBeGreaterThan(runsBefore);
    });
    const answered = await replies;
    expect(answered.map((reply) => reply.status)).toEqual(Array(CONCURRENCY).fill(200));
    return { replies: answered, runs: (await total(fleet, 'runs', route)) - runsBefore };
  }

  describe.skipIf(!available)('with the default lease', () => {
    it(`runs a cached route's handler once for ${CONCURRENCY} concurrent requests on a cold key`, { timeout: FLEET_TIMEOUT }, async () => {
      const { replies, runs } = await coldBurst('slow');
      expect(runs).toBe(1);
      // Every process answered with the one leader's response.
      expect(new Set(replies.map((reply) => bodyOf(reply).by)).size).toBe(1);
    });

    it(`runs a cacheData function once for ${CONCURRENCY} concurrent calls with the same arguments`, { timeout: FLEET_TIMEOUT }, async () => {
      const { replies, runs } = await coldBurst('data');
      expect(runs).toBe(1);
      expect(new Set(replies.map((reply) => bodyOf(reply).by)).size).toBe(1);
    });

    it('lets the waiting processes run the handler themselves when the leader\'s response is not storable, without waiting for the lease', { timeout: FLEET_TIMEOUT }, async () => {
      // The route's lease is an hour: had the others waited for it to lapse, the test would time out.
      const { runs } = await coldBurst('unstorable');
      expect(runs).toBe(CONCURRENCY);
    });

    it('refreshes a stale entry once across the fleet (staleWhileRevalidate)', { timeout: FLEET_TIMEOUT }, async () => {
      await Promise.all(fleet.map((worker) => worker.post('/__open')));
      expect(xCache(await fleet[0]!.get('/swr'))).toBe('MISS');
      await eventually(async () => expect((await Promise.all(fleet.map((worker) => worker.get('/swr')))).map(xCache)).toEqual(Array(4).fill('HIT')));
      await Promise.all(fleet.map((worker) => worker.post('/__close')));
      await Promise.all(fleet.map((worker) => worker.post('/__shift?ms=11000')));

      const runsBefore = await total(fleet, 'runs', 'swr');
      const arrivedBefore = await total(fleet, 'arrived', 'swr');
      const replies = await burst(fleet, '/swr', CONCURRENCY);
      expect(new Set(replies.map(xCache))).toEqual(new Set(['STALE']));
      await openGatesWhen(fleet, async () => {
        // Each process's refresh attempt arrives too (a detached request); all but one step aside.
        expect(await total(fleet, 'arrived', 'swr')).toBeGreaterThanOrEqual(arrivedBefore + CONCURRENCY + 4);
        expect(await total(fleet, 'runs', 'swr')).toBe(runsBefore + 1);
      });
      // Once every process serves the refreshed entry, no refresh can start any more: the count is final.
      await eventually(async () => expect((await Promise.all(fleet.map((worker) => worker.get('/swr')))).map(xCache)).toEqual(Array(4).fill('HIT')));
      expect(await total(fleet, 'runs', 'swr')).toBe(runsBefore + 1);
    });

    it('shows an invalidation made in one process to another before a deadline', { timeout: FLEET_TIMEOUT }, async () => {
      const [a, b] = [fleet[0]!, fleet[1]!];
      expect(xCache(await b.get('/tagged'))).toBe('MISS');
      // The second hit is served from the copy the server watches (on Redis): no round trip to notice anything.
      expect([xCache(await b.get('/tagged')), xCache(await b.get('/tagged'))]).toEqual(['HIT', 'HIT']);

      await a.post('/__invalidate?tag=fleet');
      const deadline = performance.now() + COHERENCE_DEADLINE_MS;
      let seen: Reply | undefined;
      while (!seen && performance.now() < deadline) {
        const reply = await b.get('/tagged');
        if (xCache(reply) === 'MISS') seen = reply;
      }
      expect(seen, `instance B still served the invalidated entry ${COHERENCE_DEADLINE_MS} ms after A invalidated it`).toBeDefined();
      expect(xCache(await b.get('/tagged'))).toBe('HIT');
    });
  });

  describe.skipIf(!available)('with lease: false (the control)', () => {
    it(`runs a cached route's handler in more than one process for ${CONCURRENCY} concurrent requests`, { timeout: FLEET_TIMEOUT }, async () => {
      expect((await coldBurst('slow-unleased')).runs).toBeGreaterThan(1);
    });

    it('runs a cacheData function in more than one process', { timeout: FLEET_TIMEOUT }, async () => {
      expect((await coldBurst('data-unleased')).runs).toBeGreaterThan(1);
    });

    it('refreshes a stale entry in every process (staleWhileRevalidate)', { timeout: FLEET_TIMEOUT }, async () => {
      await Promise.all(fleet.map((worker) => worker.post('/__open')));
      expect(xCache(await fleet[0]!.get('/swr-unleased'))).toBe('MISS');
      await eventually(async () => expect((await Promise.all(fleet.map((worker) => worker.get('/swr-unleased')))).map(xCache)).toEqual(Array(4).fill('HIT')));
      await Promise.all(fleet.map((worker) => worker.post('/__close')));
      await Promise.all(fleet.map((worker) => worker.post('/__shift?ms=11000')));

      const runsBefore = await total(fleet, 'runs', 'swr-unleased');
      const replies = await burst(fleet, '/swr-unleased', CONCURRENCY);
      expect(new Set(replies.map(xCache))).toEqual(new Set(['STALE']));
      await openGatesWhen(fleet, async () => expect(await total(fleet, 'runs', 'swr-unleased')).toBe(runsBefore + 4));
    });
  });

  // Last: it leaves the fleet one process short.
  describe.skipIf(!available)('when the leader is killed (SIGKILL) in the middle of its handler', () => {
    it('lets the others proceed once its lease lapses: one of them runs the handler, the rest replay its response', { timeout: FLEET_TIMEOUT }, async () => {
      const path = `/slow-short?k=${uniqueKey()}`;
      // Ten requests per process, kept apart so that the killed one's are told from the others'.
      const replies = fleet.map((worker) => Promise.all(Array.from({ length: 10 }, () => worker.get(path, true).catch((error: unknown) => error))));
      await eventually(async () => {
        expect(await total(fleet, 'arrived', 'slow-short')).toBe(40);
        expect(await total(fleet, 'runs', 'slow-short')).toBe(1);
      }, 30_000);
      const states = await Promise.all(fleet.map((worker) => worker.state()));
      const leader = fleet[states.findIndex((state) => state.runs['slow-short'] === 1)]!;
      const others = fleet.filter((worker) => worker !== leader);
      await leader.kill();
      await Promise.all(others.map((worker) => worker.post('/__open')));

      const answered = (await Promise.all(others.map((worker) => replies[fleet.indexOf(worker)]!))).flat() as Reply[];
      expect(answered.map((reply) => reply.status)).toEqual(Array(30).fill(200));
      expect(await total(others, 'runs', 'slow-short')).toBe(1);
      const successor = (await Promise.all(others.map((worker) => worker.state()))).find((state) => state.runs['slow-short'] === 1)!;
      expect(new Set(answered.map((reply) => bodyOf(reply).by))).toEqual(new Set([successor.pid]));
      fleet = others;
    });
  });
});

/** Calls per command since the server started, from `INFO commandstats`. */
async function commandCalls(url: string): Promise<Map<string, number>> {
  const client = createClient({ url });
  await client.connect();
  try {
    const info = await client.info('commandstats');
    return new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((match) => [match[1]!, Number(match[2])]));
  } finally {
    client.destroy();
  }
}

/** Commands the server ran between two snapshots, leaving out the INFO that took them. */
function commandsBetween(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const ran: Record<string, number> = {};
  for (const [command, calls] of after) {
    const delta = calls - (before.get(command) ?? 0);
    if (delta > 0 && command !== 'info') ran[command] = delta;
  }
  return ran;
}

describe.skipIf(!hasRedisServer())('Redis near copies', () => {
  const HITS = 100;

  /** `HITS` hits on `worker`, and the commands the server ran meanwhile. */
  async function hitsAndCommands(server: RedisServer, worker: Worker, path: string): Promise<Record<string, number>> {
    const before = await commandCalls(server.url);
    for (let i = 0; i < HITS; i++) expect(xCache(await worker.get(path))).toBe('HIT');
    return commandsBetween(before, await commandCalls(server.url));
  }

  describe('on a server with RESP3 (client tracking)', () => {
    let server: RedisServer;
    let pair: Worker[] = [];
    beforeAll(async () => {
      server = await RedisServer.start();
      pair = await startFleet(2, server.url);
    }, FLEET_TIMEOUT);
    afterAll(async () => {
      await Promise.all(pair.map((worker) => worker.stop()));
      await server.stop();
    });

    it(`serves ${HITS} hits on an unchanged entry without a single command reaching Redis`, { timeout: FLEET_TIMEOUT }, async () => {
      const [, b] = pair as [Worker, Worker];
      expect(xCache(await b.get('/tagged'))).toBe('MISS');
      // The first hit after this process's own write checks the entry once (a write ends the server's watch).
      expect(xCache(await b.get('/tagged'))).toBe('HIT');
      expect(await hitsAndCommands(server, b, '/tagged')).toEqual({});
    });

    it('drops its copies when the connection drops: after a restart of Redis (empty), the entry is computed again', { timeout: FLEET_TIMEOUT }, async () => {
      const [, b] = pair as [Worker, Worker];
      await b.get('/tagged');
      expect(xCache(await b.get('/tagged'))).toBe('HIT');
      await server.stop();
      await server.start();
      // Nothing tells the new server what the old one watched: without dropping them, the copies would be served forever.
      await eventually(async () => expect(xCache(await b.get('/tagged'))).toBe('MISS'), 30_000);
    });
  });

  describe('on a server without RESP3 (HELLO refused, as Redis 5 does): the fingerprint check', () => {
    let server: RedisServer;
    let pair: Worker[] = [];
    beforeAll(async () => {
      server = await RedisServer.start({ args: ['--rename-command', 'HELLO', ''] });
      pair = await startFleet(2, server.url);
    }, FLEET_TIMEOUT);
    afterAll(async () => {
      await Promise.all(pair.map((worker) => worker.stop()));
      await server.stop();
    });

    it('asks Redis on every hit (the control of the test above)', { timeout: FLEET_TIMEOUT }, async () => {
      const [, b] = pair as [Worker, Worker];
      await b.get('/tagged');
      expect(xCache(await b.get('/tagged'))).toBe('HIT');
      const ran = await hitsAndCommands(server, b, '/tagged');
      expect(Object.values(ran).reduce((sum, calls) => sum + calls, 0)).toBeGreaterThanOrEqual(HITS);
    });

    it('sees an invalidation by another process on the very next request', { timeout: FLEET_TIMEOUT }, async () => {
      const [a, b] = pair as [Worker, Worker];
      await b.get('/tagged');
      expect(xCache(await b.get('/tagged'))).toBe('HIT');
      await a.post('/__invalidate?tag=fleet');
      expect(xCache(await b.get('/tagged'))).toBe('MISS');
    });

    it(`still runs a cold route's handler once for ${CONCURRENCY} concurrent requests over its processes`, { timeout: FLEET_TIMEOUT }, async () => {
      const replies = burst(pair, `/slow?k=${uniqueKey()}`, CONCURRENCY);
      await openGatesWhen(pair, async () => {
        expect(await total(pair, 'arrived', 'slow')).toBe(CONCURRENCY);
        expect(await total(pair, 'runs', 'slow')).toBe(1);
      });
      expect((await replies).map((reply) => reply.status)).toEqual(Array(CONCURRENCY).fill(200));
      expect(await total(pair, 'runs', 'slow')).toBe(1);
    });
  });
});
