/**
 * The `larder` CLI as users run it: a child process against a real SQLite file and a real
 * redis-server, populated by a real larder (a cached Express route and a cacheData function).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@keyv/redis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { cacheData, createLarder } from '@larder/core';
import { encodeEntry } from '@larder/core/adapter';
import { systemClock } from '../../packages/core/src/clock.js';
import { resolveStore } from '../../packages/core/src/store/backends/resolve-store.js';
import { main } from '../../packages/core/src/cli/main.js';
import { maybeRedis } from '../support/redis-server.js';
import { populate, startCachedApp, writes } from './cached-app.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('./run-cli.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'larder-cli-'));
const redis = await maybeRedis();
afterAll(async () => {
  await redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `larder ...args` in its own process (the CLI's sources, through tsx). */
function larder(args: readonly string[], env: Record<string, string> = {}): Run {
  const { LARDER_STORE: _, ...inherited } = process.env;
  const run = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...inherited, ...env }, timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Runs the CLI's main() in this process, with this test's environment. */
async function inProcess(args: readonly string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const status = await main(args, { env: {}, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { status, stdout, stderr };
}

function json<T = any>(run: Run): T {
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as T;
}

/** The one-line reason a failure prints. */
function reason(run: Run): string {
  expect(run.stdout).toBe('');
  expect(run.stderr.endsWith('\n')).toBe(true);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  return run.stderr.trimEnd();
}

let counter = 0;
/** An empty store per test: a new SQLite file, or a flushed Redis database. */
const STORES: Array<{ name: string; url: () => Promise<string> }> = [
  { name: 'SQLite', url: async () => `sqlite://${join(scratch, `store-${counter}.sqlite`)}` },
  ...(redis ? [{ name: 'Redis', url: () => flushed(`${redis.url}/${counter % 16}`) }] : []),
];

async function flushed(url: string): Promise<string> {
  const client = createClient({ url });
  await client.connect();
  await client.flushDb();
  await client.quit();
  return url;
}

describe.each(STORES)('larder CLI on $name', ({ url: urlOf }) => {
  let store: string;
  beforeEach(async () => {
    counter++;
    store = await urlOf();
    await populate(store);
  });

  describe('stats', () => {
    it('lists entries and bytes per route and function, by the names users know', () => {
      const stats = json(larder(['stats', '--store', store, '--json']));
      expect(stats.totals).toMatchObject({ spaces: 2, entries: 5 });
      const byName = Object.fromEntries(stats.spaces.map((s: any) => [s.name, s]));
      expect(byName['GET /users/:id']).toMatchObject({ kind: 'http', entries: 3, versions: [expect.stringMatching(/^http:GET:\/users\/:id#/)] });
      expect(byName['loadReport']).toMatchObject({ kind: 'data', entries: 2 });
      expect(byName['GET /users/:id'].bytes + byName['loadReport'].bytes).toBe(stats.totals.bytes);
    });

    it('counts exactly the bytes inspect reports entry by entry', () => {
      const stats = json(larder(['stats', '--store', store, '--json']));
      const entries = json(larder(['inspect', '--store', store, '--json'])).entries;
      expect(entries.reduce((sum: number, e: any) => sum + e.bytes, 0)).toBe(stats.totals.bytes);
    });

    it('prints a table for people', () => {
      const run = larder(['stats', '--store', store]);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/: 5 entries, .* in 2 spaces\n/);
      expect(run.stdout).toMatch(/^http\s+GET \/users\/:id\s+3\s+\S+ B\s+1$/m);
      expect(run.stdout).toMatch(/^data\s+loadReport\s+2\s/m);
    });

    it('reads the store from LARDER_STORE when --store is not given', () => {
      expect(json(larder(['stats', '--json'], { LARDER_STORE: store })).totals.entries).toBe(5);
    });
  });

  describe('inspect', () => {
    it('shows keys, ages, sizes, freshness and expiries of one space', () => {
      const { entries, truncated } = json(larder(['inspect', '--space', 'GET /users/:id', '--store', store, '--json']));
      expect(truncated).toBe(false);
      expect(entries).toHaveLength(3);
      for (const entry of entries) {
        expect(entry).toMatchObject({ space: 'GET /users/:id', kind: 'http', status: 200, tags: [] });
        expect(entry.key).toMatch(/^e:http:GET:\/users\/:id#[0-9a-f]+\|[0-9a-f]{64}$/);
        expect(entry.ageMs).toBeGreaterThanOrEqual(0);
        expect(entry.freshUntil - entry.storedAt).toBe(5 * 60_000);
        expect(entry.expiresAt).toBeGreaterThan(entry.storedAt);
        expect(entry.bytes).toBeGreaterThan(0);
      }
    });

    it('reads the headers of function entries too (whatever payload format they hold)', () => {
      const { entries } = json(larder(['inspect', '--space', 'loadReport', '--store', store, '--json']));
      expect(entries).toHaveLength(2);
      for (const entry of entries) {
        expect(entry).toMatchObject({ space: 'loadReport', kind: 'data' });
        expect(entry.storedAt).toEqual(expect.any(Number));
        expect(entry.freshUntil - entry.storedAt).toBe(60 * 60_000);
      }
    });

    it('stops at --limit and says there are more', () => {
      const run = larder(['inspect', '--limit', '2', '--store', store, '--json']);
      expect(json(run).entries).toHaveLength(2);
      expect(json(run).truncated).toBe(true);
      const text = larder(['inspect', '--limit', '2', '--store', store]);
      expect(text.stdout).toMatch(/^SPACE\s+KEY\s+AGE\s+SIZE\s+FRESH FOR\s+EXPIRES IN\s+STATUS$/m);
      expect(text.stdout).toContain('(first 2 shown; --limit N for more)');
    });

    it('fails with one line for a space that is not stored', () => {
      const run = larder(['inspect', '--space', 'GET /nope', '--store', store]);
      expect(run.status).toBe(1);
      expect(reason(run)).toMatch(/^larder: no entries of a space named "GET \/nope" in /);
    });
  });

  describe('clear', () => {
    it('--space drops one route: its next request misses, the function still hits', async () => {
      const run = larder(['clear', '--space', 'GET /users/:id', '--store', store]);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/^Cleared 3 entries \(.*\) of GET \/users\/:id in /);
      expect(json(larder(['stats', '--store', store, '--json'])).totals.entries).toBe(2);
      const app = await startCachedApp(store);
      try {
        await app.get('/users/1').expect('X-Cache', 'MISS');
        await app.loadReport('eu');
        expect(app.runs).toEqual({ user: 1, report: 0 });
      } finally {
        await app.close();
      }
    });

    it('--space drops a function by its name', async () => {
      expect(json(larder(['clear', '--space', 'loadReport', '--store', store, '--json']))).toMatchObject({ cleared: 'loadReport', entries: 2 });
      const app = await startCachedApp(store);
      try {
        await app.loadReport('eu');
        await app.get('/users/1').expect('X-Cache', 'HIT');
        expect(app.runs).toEqual({ user: 0, report: 1 });
      } finally {
        await app.close();
      }
    });

    it('--tag invalidates what was written with the tag, in the processes that share the store', async () => {
      const app = await startCachedApp(store);
      try {
        await app.get('/users/1').expect('X-Cache', 'HIT');
        expect(json(larder(['clear', '--tag', 'users', '--store', store, '--json']))).toMatchObject({ invalidated: 'users' });
        await app.get('/users/1').expect('X-Cache', 'MISS');
        await app.loadReport('eu');
        expect(app.runs).toEqual({ user: 1, report: 0 });
      } finally {
        await app.close();
      }
    });

    it('without options empties the namespace', async () => {
      expect(json(larder(['clear', '--store', store, '--json']))).toMatchObject({ cleared: null, entries: 5 });
      expect(json(larder(['stats', '--store', store, '--json'])).totals).toEqual({ spaces: 0, entries: 0, bytes: 0 });
    });

    it('fails with one line for a space that is not stored, and clears nothing', () => {
      const run = larder(['clear', '--space', 'loadreport', '--store', store]);
      expect(run.status).toBe(1);
      expect(reason(run)).toContain('no entries of a space named "loadreport"');
      expect(json(larder(['stats', '--store', store, '--json'])).totals.entries).toBe(5);
    });
  });

  it('reads a header longer than the first bytes it reads of each entry', async () => {
    const app = await startCachedApp(store);
    const written = writes(app.larder, 1);
    await app.get('/wide').expect('X-Cache', 'MISS');
    await written;
    await app.close();
    const [entry] = json(larder(['inspect', '--space', 'GET /wide', '--store', store, '--json'])).entries;
    expect(entry).toMatchObject({ space: 'GET /wide', kind: 'http', status: 200 });
    expect(entry.bytes).toBeGreaterThan(3000);
  });

  it('names entries written before entries carried their name, from their space id', async () => {
    const raw = resolveStore(store, { clock: systemClock });
    const header = { kind: 'http' as const, storedAt: Date.now(), freshUntil: null, staleUntil: null, tags: {} };
    await raw.set(`e:http:GET:/legacy/:id#0123456789abcdef|${'a'.repeat(64)}`, encodeEntry(header, Buffer.from('old')));
    await raw.set(`e:legacyFn:0123456789abcdef|${'b'.repeat(64)}`, encodeEntry({ ...header, kind: 'data' }, Buffer.from('old')));
    await raw.close();
    const names = json(larder(['stats', '--store', store, '--json'])).spaces.map((s: { kind: string; name: string }) => `${s.kind} ${s.name}`);
    expect(names).toEqual(expect.arrayContaining(['http GET /legacy/:id', 'data legacyFn']));
  });

  it('keeps apps with another namespace apart, given as --namespace or in the URL', () => {
    expect(json(larder(['stats', '--store', store, '--namespace', 'billing', '--json'])).totals.entries).toBe(0);
    expect(json(larder(['stats', '--store', `${store}?namespace=billing`, '--json']))).toMatchObject({ namespace: 'billing', totals: { entries: 0 } });
    expect(json(larder(['stats', '--store', `${store}?namespace=larder`, '--json'])).totals.entries).toBe(5);
  });
});

describe('larder CLI across batches', () => {
  it.each(STORES)('lists, counts and clears more entries than one batch holds, on $name', async ({ url: urlOf }) => {
    counter++;
    const store = await urlOf();
    // One more than a batch (500): listing must carry on from one page of keys to the next.
    const count = 520;
    const app = createLarder({ store, storeTimeout: '5s' });
    const square = cacheData(async function square(n: number) { return n * n; }, { larder: app });
    const written = writes(app, count);
    for (let n = 0; n < count; n += 52) await Promise.all(Array.from({ length: 52 }, (_, i) => square(n + i)));
    await written;
    await app.close();
    expect(json(larder(['stats', '--store', store, '--json'])).spaces).toEqual([expect.objectContaining({ name: 'square', entries: count })]);
    const listed = json(larder(['inspect', '--limit', '510', '--store', store, '--json']));
    expect(listed.entries).toHaveLength(510);
    expect(new Set(listed.entries.map((e: { key: string }) => e.key)).size).toBe(510);
    expect(json(larder(['clear', '--space', 'square', '--store', store, '--json'])).entries).toBe(count);
    expect(json(larder(['stats', '--store', store, '--json'])).totals.entries).toBe(0);
  }, 60_000);
});

describe('larder CLI usage', () => {
  it.each(['stats', 'inspect', 'clear'])('%s --help explains the command and exits 0', (command) => {
    const run = larder([command, '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: larder ${command} `));
    expect(run.stdout).toContain('--store <url>');
    expect(run.stdout).toContain('Exit status: 0 done, 1 failed');
    expect(larder(['help', command]).stdout).toBe(run.stdout);
  });

  it('--help lists the commands', () => {
    const run = larder(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: larder <command> \[options\]/);
    for (const command of ['stats', 'inspect', 'clear']) expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it.each([
    [['stats', '--store', 'memory://'], /the memory store lives inside the app's process: there is nothing to inspect from outside/],
    [['stats'], /no store given: pass --store/],
    [['stats', '--store', 'postgres://db/x'], /is not a store the CLI can read/],
    [['stats', '--frobnicate'], /^larder: Unknown option '--frobnicate' \(see larder --help\)$/],
    [['frobnicate'], /^larder: unknown command 'frobnicate' \(commands: stats, inspect, clear\)$/],
    [['stats', '--limit', '3', '--store', 'sqlite://x'], /'stats' has no --limit option/],
    [['inspect', '--limit', 'ten', '--store', 'sqlite://x'], /--limit must be a positive whole number, got ten/],
    [['clear', '--space', 'a', '--tag', 'b', '--store', 'sqlite://x'], /give --space or --tag, not both/],
    [['stats', 'extra', '--store', 'sqlite://x'], /unexpected argument 'extra'/],
  ])('exits 2 with one line for bad usage: %j', async (args, message) => {
    // In process (main() is what the bin runs): the exit status and the output are the same.
    const run = await inProcess(args);
    expect(run.status).toBe(2);
    expect(reason(run)).toMatch(message);
  });

  it('positive control: the same bad usage in a child process exits 2 with the same line', () => {
    const run = larder(['stats', '--store', 'memory://']);
    expect(run.status).toBe(2);
    expect(reason(run)).toMatch(/nothing to inspect from outside/);
  });

  it('with no command, prints the help and exits 2', () => {
    const run = larder([]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^Usage: larder <command>[\s\S]*\nlarder: no command given/);
  });

  it('exits 1 without creating anything when the SQLite file does not exist', () => {
    const file = join(scratch, 'missing', 'cache.sqlite');
    const run = larder(['stats', '--store', `sqlite://${file}`]);
    expect(run.status).toBe(1);
    expect(reason(run)).toBe(`larder: no SQLite store at ${file}`);
    expect(existsSync(file)).toBe(false);
  });

  it('exits 1 when Redis does not answer, naming it without the password', async () => {
    const down = (await maybeRedis({ start: false })) ?? { url: 'redis://127.0.0.1:1' };
    const url = down.url.replace('redis://', 'redis://user:s3cret@');
    const run = larder(['stats', '--store', url]);
    expect(run.status).toBe(1);
    expect(reason(run)).toMatch(/^larder: cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:\d+: /);
    expect(run.stderr).not.toContain('s3cret');
  });
});
