/**
 * Stores that fail the way real ones do: Redis killed, Redis frozen (SIGSTOP), a socket that accepts
 * and never answers, a SQLite file that is read-only or garbage. Requests are always served; the
 * operations a caller awaits (`invalidate`, `clear`, `fn.clear`, `middleware.clear`, `close`) settle
 * within `storeTimeout`, rejecting with `ERR_LARDER_STORE`; nothing rejects unhandled.
 */
import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheData, createLarder, StoreError, type Larder } from '@larder/core';
import { eventually } from '../support/async.js';
import { arena, frameworks, get, marker, redisServer, settles, silentServer, tempDir } from './support.js';

const run = promisify(execFile);
const probe = fileURLToPath(new URL('./fixtures/store-probe.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Every operation a caller awaits, on one larder: each must settle, rejecting with ERR_LARDER_STORE. */
async function awaitedOperations(larder: Larder, middleware: { clear(): Promise<void> }): Promise<Record<string, unknown>> {
  const square = cacheData(async function square(n: number) { return n * n; }, { larder });
  const outcome = (promise: Promise<unknown>) => settles(promise.then(() => 'resolved', (error: unknown) => (error instanceof StoreError ? error.code : String(error))), 5_000, 'a store operation');
  return {
    invalidate: await outcome(larder.invalidate('users')),
    clear: await outcome(larder.clear()),
    fnClear: await outcome(square.clear()),
    fnClearOne: await outcome(square.clear(3)),
    kindClear: await outcome(cacheData.clear(larder)),
    middlewareClear: await outcome(middleware.clear()),
  };
}

const expected = { invalidate: 'ERR_LARDER_STORE', clear: 'ERR_LARDER_STORE', fnClear: 'ERR_LARDER_STORE', fnClearOne: 'ERR_LARDER_STORE', kindClear: 'ERR_LARDER_STORE', middlewareClear: 'ERR_LARDER_STORE' };

describe('a store that accepts connections and never answers', () => {
  let silent: Awaited<ReturnType<typeof silentServer>> | undefined;
  afterEach(async () => {
    await silent?.close();
  });

  for (const framework of frameworks) {
    describe(`on ${framework.name}`, () => {
      const ring = arena(framework);

      it('serves requests, and every awaited operation rejects with ERR_LARDER_STORE within storeTimeout', async () => {
        silent = await silentServer();
        const larder = ring.use({ store: silent.url, storeTimeout: '200ms' });
        let n = 0;
        const app = await ring.start({ routes: [{ path: '/s', cached: ['5m'], handler: (io) => io.send(`n=${++n}`) }] });
        const answers = await settles(Promise.all([get(`${app.url}/s`), get(`${app.url}/s`)]), 5_000, 'requests');
        expect(answers.map((a) => a.status)).toEqual([200, 200]);
        expect(silent.connections()).toBeGreaterThan(0); // control: the store is there, it only never answers
        expect(await awaitedOperations(larder, app.middlewares[0]!)).toEqual(expected);
        const closed = await settles(larder.close().then(() => 'resolved', (error: StoreError) => `${error.code} ${String(error.timedOut)}`), 5_000, 'close()');
        expect(closed).toBe('ERR_LARDER_STORE true');
      });
    });
  }
});

describe('Redis killed and frozen', () => {
  const redis = redisServer();

  for (const framework of frameworks) {
    describe(`on ${framework.name}`, () => {
      const ring = arena(framework);

      it('serves requests and rejects awaited operations while Redis is frozen (SIGSTOP), then recovers', async () => {
        const server = redis();
        if (!server) return;
        const larder = ring.use({ store: server.url, namespace: marker('frozen'), storeTimeout: '200ms' });
        let n = 0;
        const app = await ring.start({ routes: [{ path: '/r', cached: ['5m'], handler: (io) => io.send(`n=${++n}`) }] });
        await get(`${app.url}/r`);
        await eventually(async () => expect((await get(`${app.url}/r`)).cache).toBe('HIT'));
        server.freeze();
        try {
          const answer = await settles(get(`${app.url}/r`), 5_000, 'a request to a frozen store');
          expect(answer.status).toBe(200);
          expect(await awaitedOperations(larder, app.middlewares[0]!)).toEqual(expected);
        } finally {
          server.thaw();
        }
        await eventually(async () => expect(await larder.invalidate('users').then(() => 'ok')).toBe('ok'));
      });

      it('serves requests and rejects awaited operations while Redis is down, then recovers', async () => {
        const server = redis();
        if (!server) return;
        const larder = ring.use({ store: server.url, namespace: marker('killed'), storeTimeout: '200ms' });
        let n = 0;
        const app = await ring.start({ routes: [{ path: '/k', cached: ['5m'], handler: (io) => io.send(`n=${++n}`) }] });
        await get(`${app.url}/k`);
        await server.stop();
        try {
          const answers = await settles(Promise.all([get(`${app.url}/k`), get(`${app.url}/k`)]), 5_000, 'requests to a dead store');
          expect(answers.map((a) => a.status)).toEqual([200, 200]);
          expect(await awaitedOperations(larder, app.middlewares[0]!)).toEqual(expected);
        } finally {
          await server.start();
        }
        await eventually(async () => expect(await larder.invalidate('users').then(() => 'ok')).toBe('ok'));
        await eventually(async () => {
          await get(`${app.url}/k`);
          expect((await get(`${app.url}/k`)).cache).toBe('HIT');
        });
      });
    });
  }
});

describe('SQLite files that cannot be used', () => {
  const dir = tempDir('larder-faulty-');
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

  async function probeStore(file: string, options: { uid?: number; gid?: number } = {}) {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', probe, `sqlite://${file}`], { cwd: root, ...options, timeout: 60_000 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as { statuses: number[]; runs: number; squares: number[]; reasons: string[]; invalidate: string; close: string; unhandled: string[] };
  }

  it('serves every request from a file replaced with garbage, and reports store errors', async () => {
    const file = `${dir()}/garbage.sqlite`;
    writeFileSync(file, randomBytes(32 * 1024));
    const result = await probeStore(file);
    expect(result).toMatchObject({ statuses: [200, 200, 200], squares: [9, 9], invalidate: 'ERR_LARDER_STORE', unhandled: [] });
    expect(result.reasons).toContain('store-error');
  }, 90_000);

  it('serves every request from a read-only file, and reports store errors', async () => {
    const file = `${dir()}/readonly.sqlite`;
    const control = await probeStore(file); // control: the same file, writable, stores and hits
    expect(control).toMatchObject({ statuses: [200, 200, 200], runs: 1, invalidate: 'ok', reasons: [] });
    chmodSync(dir(), 0o755);
    chmodSync(file, 0o444);
    const result = await probeStore(file, asNobody);
    expect(result).toMatchObject({ statuses: [200, 200, 200], squares: [9, 9], invalidate: 'ERR_LARDER_STORE', unhandled: [] });
    expect(result.reasons).toContain('store-error');
  }, 90_000);

  it('serves requests when the file is replaced with garbage while the app runs', async () => {
    const file = `${dir()}/swapped.sqlite`;
    const larder = createLarder({ store: `sqlite://${file}`, storeTimeout: '2s' });
    larder.on('error', () => {});
    const square = cacheData(async function square(n: number) { return n * n; }, { larder });
    expect(await square(4)).toBe(16);
    writeFileSync(file, randomBytes(64 * 1024));
    expect(await settles(square(5), 10_000, 'a call after the swap')).toBe(25);
    expect(await settles(square(4), 10_000, 'a call after the swap')).toBe(16);
    await settles(larder.close().catch(() => {}), 10_000, 'close()');
  });
});
