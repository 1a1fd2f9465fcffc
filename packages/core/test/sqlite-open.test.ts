import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheData, createLarder, type LarderEvent } from '../src/index.js';
import { takeWarnings } from '../../../test/support/quiet.js';

const scratch = mkdtempSync(join(tmpdir(), 'larder-sqlite-open-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/*
 * Instances of an app start together (a deploy, a PM2 cluster) on one SQLite file. Switching the file to
 * WAL needs it alone, and SQLite answers SQLITE_BUSY at once to the others: none of them may end up
 * running uncached because of it.
 */
describe('several larders opening one new SQLite file at the same moment', () => {
  it.each([1, 2, 3])('all open it, share its entries and warn of nothing (round %i)', async (round) => {
    const store = `sqlite://${join(scratch, `fleet-${round}.sqlite`)}`;
    const larders = Array.from({ length: 8 }, () => createLarder({ store, storeTimeout: '5s', lease: false }));
    const errors: LarderEvent[] = [];
    for (const larder of larders) larder.on('error', (event: LarderEvent) => errors.push(event));
    let runs = 0;
    const square = (n: number) => (runs++, n * n);
    const calls = larders.map((larder) => cacheData(square, { larder, name: 'square' }));
    expect(await Promise.all(calls.map((call) => call(7)))).toEqual(Array(8).fill(49));
    // Once one of them has stored it, every other one reads it.
    const later = createLarder({ store, storeTimeout: '5s' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = runs;
    expect(await cacheData(square, { larder: later, name: 'square' })(7)).toBe(49);
    expect(runs).toBe(before);
    await Promise.all([...larders, later].map((larder) => larder.close()));
    expect(errors.map((event) => event.reason)).toEqual([]);
    expect(takeWarnings().map((warning) => warning.code)).toEqual([]);
  });
});

/** The sqlite3 driver @keyv/sqlite uses, to hold a lock on a file from outside Larder. */
const sqlite3 = createRequire(createRequire(import.meta.url).resolve('@keyv/sqlite'))('sqlite3') as {
  Database: new (file: string, callback: (error: Error | null) => void) => { exec(sql: string, callback: (error: Error | null) => void): void; close(callback: () => void): void };
};

function holdExclusive(file: string): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (error) => {
      if (error) return reject(error);
      db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS other(x); INSERT INTO other VALUES (1);', (failed) => {
        if (failed) return reject(failed);
        resolve(() => new Promise<void>((done) => db.exec('COMMIT', () => db.close(done))));
      });
    });
  });
}

describe('a SQLite file another process holds locked while a larder opens it', () => {
  it('opens once the lock is gone, instead of failing for good', async () => {
    const file = join(scratch, 'locked.sqlite');
    const release = await holdExclusive(file);
    const larder = createLarder({ store: `sqlite://${file}`, storeTimeout: '10s', lease: false });
    const errors: LarderEvent[] = [];
    larder.on('error', (event: LarderEvent) => errors.push(event));
    let runs = 0;
    const square = cacheData((n: number) => (runs++, n * n), { larder, name: 'locked-square' });
    // Longer than the driver's busy timeout (1 s): its first statement fails with SQLITE_BUSY.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await release();
    expect(await square(3)).toBe(9);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await square(3)).toBe(9);
    expect(runs).toBe(1);
    await larder.close();
    expect(errors.map((event) => event.reason)).toEqual([]);
    expect(takeWarnings().map((warning) => warning.code)).toEqual([]);
  });
});
