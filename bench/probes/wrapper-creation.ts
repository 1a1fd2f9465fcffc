// What creating a cached function costs, for code that creates one per request (a wrapper inside a
// handler). Prints one `RESULT <json>` line: microseconds per creation, median of 7 batches.
//
//   node --import tsx bench/probes/wrapper-creation.ts
//
// The identity of a function (its module, from the call stack; its name; a hash of its source) is
// computed once per module, name and source and then looked up; what every creation still pays is
// reading the caller's file from the stack, the function's source text, and checking the options.
import { cacheData, cacheResource, createLarder } from '@larder/core';

const larder = createLarder();
const BATCH = 20_000;

function perCreation(create: () => unknown): number {
  for (let i = 0; i < BATCH; i++) create(); // warm-up, and the identity is remembered
  const micros: number[] = [];
  for (let round = 0; round < 7; round++) {
    const started = performance.now();
    for (let i = 0; i < BATCH; i++) create();
    micros.push(((performance.now() - started) * 1000) / BATCH);
  }
  return micros.sort((a, b) => a - b)[3]!;
}

const result = {
  cacheData: perCreation(() => cacheData(async function loadUser(id: number) { return { id }; }, { larder, ttl: '5m' })),
  cacheDataNamed: perCreation(() => cacheData(async function loadUser(id: number) { return { id }; }, { larder, ttl: '5m', name: 'users.load' })),
  cacheResource: perCreation(() => cacheResource(async function openPool() { return {}; }, { larder, onRelease: () => {} })),
  /** A function of ~2 KB of source: the source text is read (and the memo keyed by it) on every creation. */
  cacheDataLargeSource: perCreation(() =>
    cacheData(async function report(from: string, to: string) {
      const rows: Array<{ day: string; total: number }> = [];
      for (let day = new Date(from); day <= new Date(to); day.setDate(day.getDate() + 1)) {
        rows.push({ day: day.toISOString().slice(0, 10), total: day.getDay() * 10 });
      }
      const byWeek = new Map<string, number>();
      for (const row of rows) {
        const week = row.day.slice(0, 8);
        byWeek.set(week, (byWeek.get(week) ?? 0) + row.total);
      }
      const weeks = [...byWeek].map(([week, total]) => ({ week, total, average: total / 7 }));
      const best = weeks.reduce((a, b) => (a.total >= b.total ? a : b), weeks[0] ?? { week: '', total: 0, average: 0 });
      const worst = weeks.reduce((a, b) => (a.total <= b.total ? a : b), weeks[0] ?? { week: '', total: 0, average: 0 });
      return { from, to, rows, weeks, best, worst, count: rows.length, sum: rows.reduce((n, row) => n + row.total, 0) };
    }, { larder }),
  ),
};

process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
await larder.close();
