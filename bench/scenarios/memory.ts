import { setTimeout as sleep } from 'node:timers/promises';
import { attempt, startFleet, stopFleet } from '../lib/fleet.ts';
import { DASH, int, mib, ratio } from '../lib/format.ts';
import { getCounts, getJson, header, httpGet } from '../lib/http.ts';
import { runLoad } from '../lib/load.ts';
import type { CaseInfo, Check, Scenario, ScenarioReport, Table } from '../lib/types.ts';
import { KiB, MiB } from '../servers/shared/payload.ts';

interface MemoryCase extends CaseInfo {
  maxBytes: number;
}

const CASES: readonly MemoryCase[] = [
  { id: 'memory/unbounded', larder: '@larder/express', redis: false, maxBytes: 0 },
  { id: 'memory/max-bytes-64mib', larder: '@larder/express', redis: false, maxBytes: 64 * MiB },
];

/** Distinct responses before the baseline reading, so code paths and pools are warm. */
const WARMUP_ENTRIES = 2_000;

interface MemoryUsage {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  maxRss: number;
}

interface Outcome {
  entries: number;
  stored: number;
  before: MemoryUsage;
  after: MemoryUsage;
  /** X-Cache of the first, middle and last key when re-requested afterwards. */
  retained: string;
}

async function measure(base: string, entries: number, connections: number): Promise<Outcome> {
  let w = 0;
  await runLoad({ url: `${base}/item`, connections, amount: WARMUP_ENTRIES, nextPath: () => `/item?w=${w++}` });
  const before = await getJson<MemoryUsage>(`${base}/__memory`);
  let n = 0;
  await runLoad({ url: `${base}/item`, connections, amount: entries, nextPath: () => `/item?n=${n++}` });
  // Writes may land just after their responses; let them settle before reading memory.
  await sleep(500);
  const after = await getJson<MemoryUsage>(`${base}/__memory`);
  const runs = (await getCounts(base)).item;
  if (runs !== WARMUP_ENTRIES + entries) {
    throw new Error(`the handler ran ${runs} times for ${WARMUP_ENTRIES + entries} distinct URLs: some were not misses`);
  }
  const retained: string[] = [];
  for (const key of [0, Math.floor(entries / 2), entries - 1]) {
    retained.push(header(await httpGet(`${base}/item?n=${key}`), 'x-cache') ?? '?');
  }
  return { entries, stored: entries * KiB, before, after, retained: retained.join(' / ') };
}

export const memoryScenario: Scenario = {
  name: 'memory',
  title: 'Memory',
  cases: () => [...CASES],
  async run(ctx, selected): Promise<ScenarioReport> {
    const problems: string[] = [];
    const checks: Check[] = [];
    const rows: string[][] = [];
    const notes: string[] = [];

    for (const c of CASES.filter((x) => selected.has(x.id))) {
      // --quick shortens the unbounded case only: the bounded one must store more than maxBytes to test it.
      const entries = ctx.options.quick && !c.maxBytes ? 20_000 : 100_000;
      ctx.log(`memory: ${c.id} — ${int(entries)} distinct 1 KiB responses`);
      // One server at a time: the reading is the process's own RSS, and a neighbour's load would slow it.
      const fleet = await startFleet(
        ctx,
        [c],
        () => ({
          label: c.id,
          file: 'bench/servers/memory-larder.ts',
          args: ['--max-bytes', String(c.maxBytes)],
          nodeFlags: ['--expose-gc'],
        }),
        problems,
      );
      const [member] = fleet;
      const outcome = member && (await attempt(member, problems, () => measure(member.server.url, entries, ctx.options.connections)));
      await stopFleet(fleet);
      if (!outcome) {
        rows.push([c.id, ...Array<string>(8).fill(DASH)]);
        continue;
      }
      const growth = outcome.after.rss - outcome.before.rss;
      if (!c.maxBytes && outcome.retained.includes('MISS')) {
        notes.push(`${c.id}: the store evicted entries (${outcome.retained}), so it held less than the stored bytes counted.`);
      }
      rows.push([
        c.id,
        int(outcome.entries),
        mib(outcome.stored),
        mib(growth),
        c.maxBytes ? ratio(growth / c.maxBytes) : ratio(growth / outcome.stored),
        mib(outcome.after.heapUsed - outcome.before.heapUsed),
        mib(outcome.after.arrayBuffers - outcome.before.arrayBuffers),
        mib(outcome.after.maxRss),
        outcome.retained,
      ]);
      const check = c.maxBytes
        ? { label: 'RSS growth ÷ maxBytes (64 MiB bound)', value: growth / c.maxBytes, target: 1.2 }
        : { label: 'RSS growth ÷ stored body bytes', value: growth / outcome.stored, target: 2 };
      checks.push({ scenario: 'memory', ...check, op: '<=', unit: 'ratio', chart: true });
    }

    const table: Table = {
      title: 'RSS after caching distinct 1 KiB JSON responses (memory store)',
      columns: [
        'case',
        'entries',
        'stored bodies',
        'RSS growth',
        'growth ratio',
        'heap growth',
        'arrayBuffers growth',
        'peak RSS',
        'first / middle / last key',
      ],
      rows,
    };
    ctx.log(table);
    return {
      name: 'memory',
      title: 'Memory (memory store)',
      method:
        `A real server (bench/servers/memory-larder.ts: Express 5, \`cached({ ttl: '1h', larder })\` with ` +
        `\`createLarder({ store: 'memory://', maxBytes })\`, maxBytes 1 GiB as "unbounded" or 64 MiB) runs with ` +
        `--expose-gc. autocannon first sends ${int(WARMUP_ENTRIES)} distinct URLs (warm-up, cached too), then GET ` +
        `/__memory runs gc() four times and reads process.memoryUsage(); then 100,000 more distinct URLs ` +
        `(20,000 for the unbounded case with --quick) ` +
        `(\`/item?n=<i>\`, each a distinct 1,024-byte JSON body) and a second reading. Growth is the RSS ` +
        `difference; "stored bodies" counts body bytes only (headers and keys are overhead). The handler count ` +
        `proves every request was a miss; re-requesting the first, middle and last key afterwards shows what ` +
        `the store kept (HIT) or evicted (MISS).`,
      tables: [table],
      checks,
      problems,
      notes,
    };
  },
};
