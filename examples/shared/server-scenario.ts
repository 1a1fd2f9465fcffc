/**
 * The quick-start checks both servers must pass: started like `npm start` in an empty directory, on
 * the default store (the SQLite file .larder/cache.sqlite), a repeated request is a MISS then a HIT,
 * and after a restart the entry is still there; with LARDER_STORE=redis://…, two instances share it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { hasRedisServer, RedisServer } from '../../test/support/redis-server.js';
import { getWithHost as get, startServer, type RunningServer } from './start-server.js';

const STATS = '/rides/stats?borough=Brooklyn&hour=8';

export function describeServer(name: string, script: URL): void {
  const path = fileURLToPath(script);
  const dirs: string[] = [];
  const servers: RunningServer[] = [];
  let redis: RedisServer | undefined;
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'larder-quickstart-'));
    dirs.push(dir);
    return dir;
  };

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  afterAll(() => redis?.stop());

  describe(name, () => {
    it('starts in an empty directory on the default SQLite store: MISS, then HIT, and HIT again after a restart', async () => {
      const dir = await tempDir();
      let running = await startServer(path, { cwd: dir });
      servers.push(running);

      const miss = await fetch(running.url + STATS);
      const hit = await fetch(running.url + STATS);
      expect(miss.headers.get('x-cache')).toBe('MISS');
      expect(hit.headers.get('x-cache')).toBe('HIT');
      expect(await hit.json()).toEqual(await miss.json());
      expect(running.output()).toContain('(store: sqlite)');
      expect(running.output()).toContain(`curl -i '${running.url}${STATS}'`);
      expect(existsSync(join(dir, '.larder', 'cache.sqlite'))).toBe(true);
      expect(existsSync(join(dir, '.larder', 'rides-200000.csv'))).toBe(true);

      const { port } = new URL(running.url);
      await running.stop();
      running = await startServer(path, { cwd: dir, port });
      servers.push(running);
      const afterRestart = await fetch(running.url + STATS);
      expect(afterRestart.headers.get('x-cache')).toBe('HIT');
    }, 60_000);

    // What a load balancer does: two instances, one Host. (The Host is part of the key, so two
    // instances reached on their own ports would not share entries.)
    it.skipIf(!hasRedisServer())('shares its cache between two instances with LARDER_STORE=redis://…', async () => {
      redis ??= await RedisServer.start();
      const [a, b] = await Promise.all([
        startServer(path, { cwd: await tempDir(), store: redis.url }),
        startServer(path, { cwd: await tempDir(), store: redis.url }),
      ]);
      servers.push(a, b);
      expect(a.output()).toContain('(store: redis)');

      const fromA = await get(a.url + STATS, 'rides.example');
      expect(fromA.xCache).toBe('MISS');
      // Stores are written after the response: once A hits, the entry is in Redis.
      await vi.waitFor(async () => expect((await get(a.url + STATS, 'rides.example')).xCache).toBe('HIT'));
      const fromB = await get(b.url + STATS, 'rides.example');
      expect(fromB.xCache).toBe('HIT');
      expect(fromB.body).toBe(fromA.body);
    }, 60_000);
  });
}
