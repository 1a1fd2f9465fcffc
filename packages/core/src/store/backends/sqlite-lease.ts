import { setTimeout as sleep } from 'node:timers/promises';
import type { LeaseBackend, LeaseState } from '../store.js';

/** The @keyv/sqlite adapter's query function and table. */
interface SqliteLike {
  query(sql: string, ...params: unknown[]): Promise<Array<Record<string, unknown>>>;
  opts: { table?: string };
}

/**
 * How often a process waiting for another's computation looks again: SQLite has no way to wake it. Two
 * small SELECTs per look (waiters in a process share one look per key): every 2 ms at first, then a
 * tenth of the time waited so far, up to every 100 ms — a short computation is noticed at once, and a
 * storm of long ones after a deploy does not turn into a storm of queries (a wait of 10 s costs ~50 looks).
 */
export const SQLITE_LEASE_POLL_MS = { first: 2, most: 100 } as const;

/** How long a "released" mark stays: long enough for every poller to see it, short enough to be garbage. */
const RELEASED_FOR_MS = 1_000;
const HELD = 0x4c; // 'L', then the holder's token
const RELEASED = 0x52; // 'R'

/**
 * Leases as rows of the @keyv/sqlite table, in the raw format of raw-access.ts: the expiry as a
 * big-endian float64, then `L<token>` (held) or `R` (released, without an entry). A claim is one upsert
 * that replaces only an expired or released row, so two processes can never both take a lease. A lease
 * whose entry landed is deleted; released marks and the leases of processes that died expire, and go
 * with the periodic sweep like any other row.
 *
 * `now` must be the wall clock shared by the processes on this file (they run on one machine).
 */
export function sqliteLeases(adapter: SqliteLike, namespace: string, now: () => number = Date.now): LeaseBackend {
  const table = adapter.opts.table ?? 'keyv';
  const prefix = (key: string) => `${namespace}:${key}`;
  const row = (expires: number, mark: Buffer): Buffer => {
    const value = Buffer.allocUnsafe(8 + mark.length);
    value.writeDoubleBE(expires, 0);
    mark.copy(value, 8);
    return value;
  };
  const held = (token: string) => Buffer.concat([Buffer.of(HELD), Buffer.from(token)]);
  const at = (time: number): Buffer => {
    const bytes = Buffer.allocUnsafe(8);
    bytes.writeDoubleBE(time, 0);
    return bytes;
  };

  async function inspect(key: string): Promise<LeaseState> {
    const [found] = await adapter.query(`SELECT value FROM ${table} WHERE key = ?`, prefix(key));
    const value = found?.value;
    if (!Buffer.isBuffer(value) || value.length < 9) return 'free';
    const left = value.readDoubleBE(0) - now();
    if (left <= 0) return 'free';
    return value[8] === RELEASED ? 'released' : { held: left };
  }

  return {
    async claim(key, token, ms) {
      const time = now();
      // `value` in the WHERE of an upsert is the row already there. Blob comparisons are bytewise, and
      // positive doubles order like their big-endian bytes: `substr(value, 1, 8) < ?` means "expired".
      const taken = await adapter.query(
        `INSERT INTO ${table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value ` +
          `WHERE typeof(${table}.value) != 'blob' OR substr(${table}.value, 1, 8) < ? OR substr(${table}.value, 9, 1) = ? RETURNING key`,
        prefix(key),
        row(time + ms, held(token)),
        at(time),
        Buffer.of(RELEASED),
      );
      if (taken.length > 0) return true;
      const state = await inspect(key);
      // Released or lapsed between the two statements: report it as nearly over, so the caller looks again.
      return typeof state === 'object' ? state.held : 1;
    },
    inspect,
    async release(key, token, stored) {
      if (stored) {
        await adapter.query(`DELETE FROM ${table} WHERE key = ? AND substr(value, 9) = ?`, prefix(key), held(token));
        return;
      }
      await adapter.query(
        `UPDATE ${table} SET value = ? WHERE key = ? AND substr(value, 9) = ?`,
        row(now() + RELEASED_FOR_MS, Buffer.of(RELEASED)),
        prefix(key),
        held(token),
      );
    },
    listen: () => Promise.resolve(),
    wait: (_key, ms) => sleep(ms),
    pollMs: (waited) => Math.min(SQLITE_LEASE_POLL_MS.most, Math.max(SQLITE_LEASE_POLL_MS.first, waited / 10)),
  };
}
