import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import KeyvSqlite from '@keyv/sqlite';
import sqlite3 from 'sqlite3';
import { ReadBatcher, sqliteRawAccess } from '../src/store/backends/raw-access.js';
import { PreparedReads, type Rows } from '../src/store/backends/sqlite-reads.js';
import { fingerprint } from '../src/store/store.js';
import { resolveStore } from '../src/store/backends/resolve-store.js';
import type { KeyvStore } from '../src/store/backends/keyv-store.js';
import { maybeRedis, type RedisServer } from '../../../test/support/redis-server.js';
import { sqliteQuery } from '../../../test/support/sqlite.js';
import { deferred, type Deferred } from '../../../test/support/async.js';

const clock = { now: () => Date.now() };
const bytes = Buffer.from([0x4c, 0x52, 0x44, 0x52, 0, 1, 255, 0, 128, 10, 13]);

/** What `peekMany` must answer: the first value as its fingerprint, the others whole, absent and expired ones undefined. */
async function expectPeeks(store: KeyvStore): Promise<void> {
  const long = Buffer.concat([bytes, randomBytes(500)]);
  await store.set('e:long', long, 60_000);
  await store.set('e:short', bytes, 60_000);
  await store.set('t:tag', Buffer.from('v1'), 60_000);
  await store.set('e:gone', long, 1);
  await new Promise((resolve) => setTimeout(resolve, 5));
  expect(await store.peekMany!(['e:long', 't:tag', 't:none'])).toEqual([fingerprint(long), Buffer.from('v1'), undefined]);
  expect(await store.peekMany!(['e:short'])).toEqual([fingerprint(bytes)]);
  expect(await store.peekMany!(['e:absent', 't:tag'])).toEqual([undefined, Buffer.from('v1')]);
  expect(await store.peekMany!(['e:gone'])).toEqual([undefined]);
  // Peeks and whole reads of one key in the same batch each get their own answer.
  const [peeked, whole] = await Promise.all([store.peekMany!(['e:long']), store.getMany(['e:long'])]);
  expect([peeked[0], whole[0]]).toEqual([fingerprint(long), long]);
}

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

    it('answer a peek with the fingerprint of the stored value', () => expectPeeks(store));

    it('see a write or a delete made just before a read, though reads have a connection of their own', async () => {
      for (let i = 0; i < 30; i++) {
        const value = Buffer.from(`value ${i}`);
        const written = store.set('e:race', value, 60_000);
        expect(await store.getMany(['e:race'])).toEqual([value]);
        expect(await store.peekMany!(['e:race'])).toEqual([fingerprint(value)]);
        const deleted = store.delete('e:race');
        expect(await store.getMany(['e:race'])).toEqual([undefined]);
        await Promise.all([written, deleted]);
      }
    });

    it('answer 200 concurrent reads of different keys with the right values, in a few queries', async () => {
      await Promise.all(Array.from({ length: 200 }, (_, i) => store.set(`e:n${i}`, Buffer.from(`value ${i}`), 60_000)));
      const reads = await Promise.all(Array.from({ length: 200 }, (_, i) => store.getMany([`e:n${i}`, 't:none'])));
      reads.forEach(([value, tag], i) => {
        expect(value?.toString()).toBe(`value ${i}`);
        expect(tag).toBeUndefined();
      });
    });
  });

  describe('batch SQLite reads', () => {
    function lookups() {
      const calls: Array<{ keys: readonly string[]; answer: Deferred<Map<string, string>> }> = [];
      const batcher = new ReadBatcher<string>((keys) => {
        const answer = deferred<Map<string, string>>();
        calls.push({ keys, answer });
        return answer.promise;
      });
      return { calls, batcher };
    }

    it('send the first read at once and merge the reads that arrive meanwhile into the next lookup', async () => {
      const { calls, batcher } = lookups();
      const first = batcher.read(['a']);
      expect(calls.map((call) => call.keys)).toEqual([['a']]);
      const second = batcher.read(['b', 't']);
      const third = batcher.read(['c', 't']);
      expect(calls).toHaveLength(1);
      calls[0]!.answer.resolve(new Map([['a', 'A']]));
      expect((await first).get('a')).toBe('A');
      expect(calls.map((call) => call.keys)).toEqual([['a'], ['b', 't', 'c']]);
      calls[1]!.answer.resolve(new Map([['b', 'B'], ['c', 'C'], ['t', 'T']]));
      expect([(await second).get('b'), (await third).get('c'), (await third).get('t')]).toEqual(['B', 'C', 'T']);
    });

    it('reject every read of a failed lookup, and go on with the next ones', async () => {
      const { calls, batcher } = lookups();
      const first = batcher.read(['a']);
      const second = batcher.read(['b']);
      const third = batcher.read(['c']);
      calls[0]!.answer.reject(new Error('disk I/O error'));
      await expect(first).rejects.toThrow('disk I/O error');
      calls[1]!.answer.reject(new Error('database is locked'));
      await expect(second).rejects.toThrow('database is locked');
      await expect(third).rejects.toThrow('database is locked');
      const fourth = batcher.read(['d']);
      calls[2]!.answer.resolve(new Map([['d', 'D']]));
      expect((await fourth).get('d')).toBe('D');
    });
  });

  describe('read SQLite through a statement prepared once', () => {
    /** The real driver, counting what is prepared; or one that cannot open a connection. */
    function driver(opens: boolean) {
      const counts = { prepares: 0 };
      class Database extends sqlite3.Database {
        constructor(file: string, mode: number, callback: (error: Error | null) => void) {
          if (!opens) {
            super(':memory:');
            setImmediate(() => callback(new Error('unable to open database file')));
            return;
          }
          super(file, mode, callback);
        }
        override prepare(...args: Parameters<sqlite3.Database['prepare']>) {
          counts.prepares++;
          return super.prepare(...args);
        }
      }
      return { counts, module: { OPEN_READONLY: sqlite3.OPEN_READONLY, Database } };
    }

    async function access(opens: boolean) {
      const file = join(mkdtempSync(join(tmpdir(), 'larder-prepared-')), 'c.sqlite');
      const adapter = new KeyvSqlite({ uri: `sqlite://${file}` });
      const { counts, module } = driver(opens);
      const fallbacks: string[] = [];
      const reads = new PreparedReads({
        file,
        sqlite3: module,
        busyTimeoutMs: 1_000,
        ready: () => adapter.query('SELECT 1'),
        fallback: (sql, ...params) => (fallbacks.push(sql), adapter.query(sql, ...params) as Promise<Rows>),
      });
      const raw = sqliteRawAccess(adapter as unknown as Parameters<typeof sqliteRawAccess>[0], 'larder', Date.now, reads);
      const close = async () => {
        await raw.close!();
        await adapter.disconnect();
      };
      return { raw, counts, fallbacks, close };
    }

    it('on a connection of their own that sees every write of the store at once', async () => {
      const { raw, counts, fallbacks, close } = await access(true);
      try {
        await raw.set('e:a', bytes, 60_000);
        for (let i = 0; i < 20; i++) {
          await raw.set('e:a', Buffer.from(`value ${i}`), 60_000);
          expect(await raw.getMany(['e:a', 't:none'])).toEqual([Buffer.from(`value ${i}`), undefined]);
        }
        expect(await raw.peekMany(['e:a'])).toEqual([fingerprint(Buffer.from('value 19'))]);
        expect([counts.prepares, fallbacks.length]).toEqual([1, 0]);
      } finally {
        await close();
      }
    });

    it('or through the adapter when that connection cannot be opened (positive control of the count)', async () => {
      const { raw, counts, fallbacks, close } = await access(false);
      try {
        await raw.set('e:a', bytes, 60_000);
        expect(await raw.getMany(['e:a'])).toEqual([bytes]);
        expect(await raw.getMany(['e:a'])).toEqual([bytes]);
        expect([counts.prepares, fallbacks.length]).toEqual([0, 2]);
      } finally {
        await close();
      }
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

    it('answer a peek with the fingerprint of the stored value', async ({ skip }) => {
      if (!store) return skip('redis-server is not installed (it is required under CI=true)');
      await expectPeeks(store);
    });
  });
});
