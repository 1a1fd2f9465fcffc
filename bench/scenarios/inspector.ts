import { attempt, healthy, startFleet, stopFleet } from '../lib/fleet.ts';
import { DASH, fixed, int, percent, ratio } from '../lib/format.ts';
import { readFileSync } from 'node:fs';
import { runLoad, type LoadSample } from '../lib/load.ts';
import { primeCache } from '../lib/prime.ts';
import { median, pairedRatio, rotate, spread } from '../lib/stats.ts';
import type { CaseInfo, Check, RunContext, Scenario, ScenarioReport } from '../lib/types.ts';
import type { Framework } from '../servers/shared/args.ts';
import { documentBytes, SIZES } from '../servers/shared/payload.ts';

/** What mounting larderInspector() costs the app's other routes: the same memory hit, with and without it. */
const FRAMEWORKS: readonly Framework[] = ['express5', 'koa'];
const VARIANTS = ['without', 'with'] as const;

interface InspectorCase extends CaseInfo {
  framework: Framework;
  variant: (typeof VARIANTS)[number];
}

function planCases(): InspectorCase[] {
  return FRAMEWORKS.flatMap((framework) =>
    VARIANTS.map((variant) => ({
      id: `inspector/${framework}/1kb/${variant}`,
      larder: framework === 'koa' ? ('@larder/koa' as const) : ('@larder/express' as const),
      redis: false,
      framework,
      variant,
    })),
  );
}

/** A run's throughput, and the server's CPU time per request (µs; undefined where /proc cannot tell). */
interface Sample extends LoadSample {
  cpuMicros: number | undefined;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, seconds) a process has used so far, from /proc; undefined elsewhere.
 * Unlike throughput, it barely moves when other work shares the machine: it counts only the time
 * the server itself ran.
 */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

async function measure(ctx: RunContext, cases: InspectorCase[], problems: string[]): Promise<Map<string, (Sample | undefined)[]>> {
  const { options } = ctx;
  const bytes = SIZES['1kb'];
  const family = (c: InspectorCase) => (c.framework === 'koa' ? 'koa' : 'express');
  const fleet = await startFleet(ctx, cases, (c) => ({
    label: c.id,
    file: `bench/servers/${family(c)}-larder.ts`,
    args: ['--framework', c.framework, '--bytes', String(bytes), '--store', ctx.stores.memory, ...(c.variant === 'with' ? ['--inspector'] : [])],
  }), problems);
  const samples = new Map(cases.map((c) => [c.id, [] as (Sample | undefined)[]]));
  try {
    for (const member of fleet) {
      await attempt(member, problems, async () => {
        await primeCache({ base: member.server.url, path: '/data', counter: 'data', larder: true, expected: documentBytes(bytes) });
        if (options.warmup > 0) await runLoad({ url: `${member.server.url}/data`, connections: options.connections, duration: options.warmup });
      });
    }
    for (let round = 0; round < options.rounds; round += 1) {
      for (const member of rotate(healthy(fleet), round)) {
        samples.get(member.item.id)![round] = await attempt(member, problems, async () => {
          const before = cpuSeconds(member.server.pid);
          const load = await runLoad({ url: `${member.server.url}/data`, connections: options.connections, duration: options.duration });
          const after = cpuSeconds(member.server.pid);
          const cpuMicros = before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / load.requests;
          return { ...load, cpuMicros };
        });
      }
    }
  } finally {
    await stopFleet(fleet);
  }
  return samples;
}

export const inspectorScenario: Scenario = {
  name: 'inspector',
  title: 'Inspector cost',
  cases: () => planCases(),
  async run(ctx, selected): Promise<ScenarioReport> {
    const report: ScenarioReport = {
      name: 'inspector',
      title: 'What mounting the inspector costs other routes (memory hits, 1 KiB JSON)',
      method:
        `The Larder hit server of each framework, once as it is and once with larderInspector() mounted at /_larder ` +
        `in front of the routes (Express: app.use('/_larder', …); Koa: koa-mount). Both primed, then ` +
        `${ctx.options.rounds} interleaved round(s) of ${ctx.options.duration} s autocannon runs on the cached /data route. ` +
        `Ratios are medians of per-round ratios. "server CPU µs/req" is the server process's user + system CPU time ` +
        `(/proc/<pid>/stat) over a run divided by the requests it answered: on a busy machine it moves far less than throughput.`,
      tables: [],
      checks: [],
      problems: [],
      notes: [],
    };
    for (const framework of FRAMEWORKS) {
      const cases = planCases().filter((c) => c.framework === framework && selected.has(c.id));
      if (cases.length === 0) continue;
      ctx.log(`inspector: ${framework} — ${cases.map((c) => c.variant).join(', ')}`);
      const samples = await measure(ctx, cases, report.problems);
      const series = (variant: string, field: 'rps' | 'cpuMicros') => (samples.get(`inspector/${framework}/1kb/${variant}`) ?? []).map((s) => s?.[field]);
      const present = (values: (number | undefined)[]) => values.filter((n): n is number => n !== undefined);
      const table = {
        title: `${framework}, memory hit, 1 KiB JSON`,
        columns: ['inspector', 'req/s (median)', 'spread', 'req/s with ÷ without', 'server CPU µs/req (median)', 'CPU with ÷ without'],
        rows: cases.map((c) => {
          const runs = present(series(c.variant, 'rps'));
          const cpu = present(series(c.variant, 'cpuMicros'));
          if (runs.length === 0) return [c.variant, DASH, DASH, DASH, DASH, DASH];
          const withRow = c.variant === 'with';
          return [
            c.variant,
            int(median(runs)),
            percent(spread(runs)),
            withRow ? ratio(pairedRatio(series('with', 'rps'), series('without', 'rps'))) : '',
            cpu.length === 0 ? DASH : fixed(median(cpu), 1),
            withRow ? ratio(pairedRatio(series('with', 'cpuMicros'), series('without', 'cpuMicros'))) : '',
          ];
        }),
      };
      report.tables.push(table);
      ctx.log(table);
      if (cases.length === 2) {
        const check: Check = {
          scenario: 'inspector',
          label: `${framework}: hit with the inspector mounted ÷ without`,
          value: pairedRatio(series('with', 'rps'), series('without', 'rps')),
          op: '>=',
          target: 0.97,
          unit: 'ratio',
          chart: false,
        };
        report.checks.push(check, {
          ...check,
          label: `${framework}: server CPU per hit with the inspector mounted ÷ without`,
          value: pairedRatio(series('with', 'cpuMicros'), series('without', 'cpuMicros')),
          op: '<=',
          target: 1.03,
        });
      }
    }
    return report;
  },
};
