/**
 * The quick-start check both servers must pass: started like `npm start` in an empty directory, on
 * the default store (the SQLite file .larder/cache.sqlite), a repeated request is a MISS then a HIT,
 * and after a restart the entry is still there.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './start-server.js';

const STATS = '/rides/stats?borough=Brooklyn&hour=8';

export function describeServer(name: string, script: URL): void {
  const path = fileURLToPath(script);
  let dir: string | undefined;
  let running: RunningServer | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe(name, () => {
    it('starts in an empty directory on the default SQLite store: MISS, then HIT, and HIT again after a restart', async () => {
      dir = await mkdtemp(join(tmpdir(), 'larder-quickstart-'));
      running = await startServer(path, { cwd: dir });

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
      const afterRestart = await fetch(running.url + STATS);
      expect(afterRestart.headers.get('x-cache')).toBe('HIT');
    }, 60_000);
  });
}
