/**
 * Store URLs Larder connects to by itself: `rediss://` with a CA the test makes, credentials and a database
 * in the URL, `?namespace=`, and how an unreachable store is reported. Real redis-servers (skipped loudly
 * when redis-server is missing, required under CI=true) and real SQLite files.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@keyv/redis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreConfigError, cacheData, createLarder, type Larder, type LarderEvent, type LarderOptions } from '../src/index.js';
import { hasRedisServer, maybeRedis, RedisServer } from '../../../test/support/redis-server.js';
import { eventually } from '../../../test/support/async.js';
import { sqliteKeys } from '../../../test/support/sqlite.js';
import { makeTlsFiles, type TlsFiles } from '../../../test/support/tls.js';
import { takeWarnings } from '../../../test/support/quiet.js';

const redis = await maybeRedis({ start: false });
const scratch = mkdtempSync(join(tmpdir(), 'larder-store-urls-'));
const servers: RedisServer[] = [];
let tls: TlsFiles | undefined;
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  tls?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

async function server(options: Parameters<typeof RedisServer.start>[0] = {}): Promise<RedisServer> {
  const started = await RedisServer.start(options);
  servers.push(started);
  return started;
}

const opened: Larder[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((larder) => larder.close()));
});

/** A larder patient enough for a fresh connection on a loaded machine, unless the test says otherwise. */
function open(options: LarderOptions): Larder {
  const larder = createLarder({ storeTimeout: '10s', ...options });
  opened.push(larder);
  return larder;
}

/** Calls a cached function twice: what the second call was (a hit proves the value went through the store). */
async function missThenHit(larder: Larder): Promise<{ runs: number; errors: LarderEvent[]; key: string | undefined }> {
  const errors: LarderEvent[] = [];
  larder.on('error', (event: LarderEvent) => errors.push(event));
  let runs = 0;
  const twice = cacheData(async function twice(n: number) {
    runs++;
    return n * 2;
  }, { larder });
  const written = new Promise<LarderEvent>((resolve) => larder.once('set', resolve));
  expect(await twice(21)).toBe(42);
  const key = errors.length === 0 ? (await written).key : undefined;
  expect(await twice(21)).toBe(42);
  return { runs, errors, key };
}

/** The `LARDER_STORE_UNREACHABLE` warnings so far, taken (test/support/quiet.ts fails a test that leaves one). */
const seen: string[] = [];
afterEach(() => void seen.splice(0));
const unreachableWarnings = (): string[] => {
  for (const warning of takeWarnings()) seen.push(warning.code === 'LARDER_STORE_UNREACHABLE' ? warning.message : `unexpected: ${warning.message}`);
  return [...seen];
};

describe.skipIf(!redis)('a rediss:// store', () => {
  beforeEach(() => {
    tls ??= makeTlsFiles();
  });

  it('caches over TLS to a server whose certificate the ?ca= file signed', async () => {
    const secure = await server({ tls });
    const larder = open({ store: `${secure.url}?ca=${tls!.ca}` });
    expect(await missThenHit(larder)).toMatchObject({ runs: 1, errors: [] });
  });

  it('refuses a server whose certificate it cannot verify: calls run uncached, and one warning names the server', async () => {
    const secure = await server({ tls });
    const larder = open({ store: secure.url, storeTimeout: '100ms' });
    const { runs, errors } = await missThenHit(larder);
    expect(runs).toBe(2);
    expect(errors.length).toBeGreaterThan(0);
    await eventually(() => expect(unreachableWarnings()).toHaveLength(1));
    expect(unreachableWarnings()[0]).toContain(`rediss://127.0.0.1:${secure.port}`);
  });
});

describe.skipIf(!redis)('a redis://user:password@host:port/db store', () => {
  const users = ['--user', 'default', 'off', '--user', 'cache', 'on', '>s3cret pass', '~*', '&*', '+@all'];

  it('signs in as that user and keeps its entries in that database', async () => {
    const guarded = await server({ args: users });
    const namespace = `n${randomUUID().slice(0, 8)}`;
    const larder = open({ store: `redis://cache:${encodeURIComponent('s3cret pass')}@127.0.0.1:${guarded.port}/4?namespace=${namespace}` });
    const { runs, errors, key } = await missThenHit(larder);
    expect({ runs, errors }).toEqual({ runs: 1, errors: [] });

    const look = createClient({ url: `redis://cache:${encodeURIComponent('s3cret pass')}@127.0.0.1:${guarded.port}/4` });
    await look.connect();
    try {
      await eventually(async () => expect(await look.keys(`${namespace}::*`)).toEqual([`${namespace}::${key}`]));
    } finally {
      look.destroy();
    }
  });

  it('names the server once when the password is wrong, with the password redacted', async () => {
    const guarded = await server({ args: users });
    const larder = open({ store: `redis://cache:wrong-password@127.0.0.1:${guarded.port}/4`, storeTimeout: '100ms' });
    const { runs } = await missThenHit(larder);
    expect(runs).toBe(2);
    await eventually(() => expect(unreachableWarnings()).toHaveLength(1));
    const [warning] = unreachableWarnings();
    expect(warning).toContain(`redis://cache:***@127.0.0.1:${guarded.port}/4`);
    expect(warning).not.toContain('wrong-password');
  });
});

describe.skipIf(!redis)('an unreachable Redis store', () => {
  it('is named once, host and port with the password redacted, and each failure after that is an error event', async () => {
    const down = await RedisServer.reserve();
    const larder = open({ store: `redis://:hunter2@127.0.0.1:${down.port}/1`, storeTimeout: '100ms' });
    const errors: LarderEvent[] = [];
    larder.on('error', (event: LarderEvent) => errors.push(event));
    let runs = 0;
    const add = cacheData(async function add(a: number, b: number) {
      runs++;
      return a + b;
    }, { larder });
    for (let i = 0; i < 20; i++) expect(await add(i, 1)).toBe(i + 1);

    expect(runs).toBe(20);
    expect(errors).toHaveLength(20);
    expect(errors.every((event) => event.reason === 'store-error')).toBe(true);
    expect(unreachableWarnings()).toEqual([expect.stringContaining(`redis://:***@127.0.0.1:${down.port}/1`)]);
    expect(unreachableWarnings()[0]).not.toContain('hunter2');
  });
});

describe('?namespace= in a store URL', () => {
  it('prefixes the keys of a SQLite store', async () => {
    const file = join(scratch, `${randomUUID()}.sqlite`);
    const larder = open({ store: `sqlite://${file}?namespace=shop` });
    const { key } = await missThenHit(larder);
    await eventually(async () => expect(await sqliteKeys(file)).toEqual([`shop:${key}`]));
  });

  it.skipIf(!hasRedisServer())('prefixes the keys of a Redis store', async () => {
    const plain = await server();
    const larder = open({ store: `${plain.url}/2?namespace=shop` });
    const { key } = await missThenHit(larder);
    const look = createClient({ url: `${plain.url}/2` });
    await look.connect();
    try {
      await eventually(async () => expect(await look.keys('*')).toEqual([`shop::${key}`]));
    } finally {
      look.destroy();
    }
  });

  it('agrees with the namespace option, or the larder is not created', () => {
    const file = join(scratch, `${randomUUID()}.sqlite`);
    expect(() => open({ store: `sqlite://${file}?namespace=shop`, namespace: 'shop' })).not.toThrow();
    expect(() => createLarder({ store: `sqlite://${file}?namespace=shop`, namespace: 'blog' })).toThrow(/namespace=shop.*'blog'/);
  });
});

describe('a store URL Larder cannot use', () => {
  it.each([
    ['an unknown parameter', 'redis://127.0.0.1:6379?db=2', /unknown parameter 'db'/],
    ['an unknown SQLite parameter', 'sqlite://./x.sqlite?mode=ro', /unknown parameter 'mode'/],
    ['a CA for a connection without TLS', 'redis://127.0.0.1:6379?ca=/etc/ssl/ca.pem', /unknown parameter 'ca'/],
    ['a CA file that does not exist', 'rediss://127.0.0.1:6380?ca=/nonexistent/ca.pem', /cannot read the CA file/],
    ['an empty namespace', 'redis://127.0.0.1:6379?namespace=', /empty 'namespace'/],
    ['no host', 'redis:///2', /names no host/],
  ])('is refused at startup: %s', (_label, store, message) => {
    expect(() => createLarder({ store })).toThrow(StoreConfigError);
    expect(() => createLarder({ store })).toThrow(message);
  });

  it('never shows the password in the error', () => {
    expect(() => createLarder({ store: 'redis://user:hunter2@127.0.0.1:6379?db=2' })).toThrow(/redis:\/\/user:\*\*\*@127\.0\.0\.1:6379/);
    expect(() => createLarder({ store: 'redis://user:hunter2@127.0.0.1:6379?db=2' })).not.toThrow(/hunter2/);
  });
});
