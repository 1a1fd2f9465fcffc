import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveStore } from '../src/stores/resolve-store.js';
import type { KeyvStore } from '../src/stores/keyv-store.js';
import { maybeRedis, type RedisServer } from '../../../test/support/redis-server.js';
import { sqliteQuery } from '../../../test/support/sqlite.js';

const clock = { now: () => Date.now() };
const bytes = Buffer.from([0x4c, 0x52, 0x44, 0x52, 0, 1, 255, 0, 128, 10, 13]);

describe('stores Larder builds from a URL', () => {
  describe('on SQLite', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'larder-raw-')), 'c.sqlite');
    const store = resolveStore(`sqlite://${file}`, { clock }) as KeyvStore;
    afterAll(() => store.close());

    it('keep values as BLOB rows that start with their expiry, not as JSON text', async () => {
      await store.set('e:k', bytes, 60_000);
      const [row] = await sqliteQuery(file, `SELECT typeof(value) AS type, value FROM keyv WHERE key = 'larder:e:k'`);
      expect(row!.type).toBe('blob');
      const value = row!.value as Buffer;
      expect(value.readDoubleBE(0)).toBeGreaterThan(Date.now());
      expect(value.subarray(8)).toEqual(bytes);
      expect(await store.get('e:k')).toEqual(bytes);
    });

    it('read a row written in Keyv\'s JSON format as foreign bytes (Larder then drops it as corrupt)', async () => {
      await store.keyv.set('e:legacy', JSON.stringify({ value: 'aGVsbG8=', expires: null }));
      const read = await store.get('e:legacy');
      expect(read?.subarray(0, 4).toString()).not.toBe('LRDR');
    });

    it('sweep expired raw rows and keep live ones', async () => {
      await store.set('e:short', bytes, 1);
      await store.set('e:forever', bytes);
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await store.get('e:short')).toBeUndefined();
      await store.sweepExpired();
      const keys = (await sqliteQuery(file, `SELECT key FROM keyv`)).map((r) => r.key);
      expect(keys).not.toContain('larder:e:short');
      expect(keys).toContain('larder:e:forever');
    });
  });

  describe('on Redis', () => {
    let redis: RedisServer | undefined;
    let store: KeyvStore | undefined;
    beforeAll(async () => {
      redis = await maybeRedis();
      if (redis) store = resolveStore(redis.url, { clock }) as KeyvStore;
    });
    afterAll(async () => {
      await store?.close();
      await redis?.stop();
    });

    it('keep values as the raw bytes, with a millisecond TTL', async ({ skip }) => {
      if (!store || !redis) return skip('redis-server is not installed (it is required under CI=true)');
      await store.set('e:k', bytes, 60_000);
      const raw = execFileSync('redis-cli', ['-p', String(redis.port), '--no-raw', 'GET', 'larder::e:k']).toString();
      expect(raw).toContain('LRDR');
      expect(Number(execFileSync('redis-cli', ['-p', String(redis.port), 'PTTL', 'larder::e:k']).toString())).toBeGreaterThan(0);
      expect(await store.getMany(['e:k', 'e:absent'])).toEqual([bytes, undefined]);
    });
  });
});
