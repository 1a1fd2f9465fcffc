import { isCached, larderPackage, needsRedis, peerOf, FRAMEWORKS, serverSpec, type Contender } from '../lib/contenders.ts';
import { attempt, healthy, startFleet, stopFleet, type Member } from '../lib/fleet.ts';
import { DASH, fixed, int, percent, ratio } from '../lib/format.ts';
import { assertOk, getCounts, httpGet } from '../lib/http.ts';
import { runLoad, type LoadSample } from '../lib/load.ts';
import { primeCache } from '../lib/prime.ts';
import { median, pairedRatio, rotate, spread } from '../lib/stats.ts';
import type { CaseInfo, Check, RunContext, Scenario, ScenarioReport, Table } from '../lib/types.ts';
import type { Framework } from '../servers/shared/args.ts';
import { documentBytes, SIZES, type SizeName } from '../servers/shared/payload.ts';

const HIT_SIZES: readonly SizeName[] = ['1kb', '100kb'];

interface HitCase extends CaseInfo {
  framework: Framework;
  size: SizeName;
  contender: Contender;
}

function contendersOf(framework: Framework): Contender[] {
  const reference: Contender[] = framework === 'koa' ? ['raw'] : [];
  return ['floor', ...reference, 'framework', 'larder-memory', 'larder-sqlite', 'larder-redis', peerOf(framework)];
}

function planCases(): HitCase[] {
  return FRAMEWORKS.flatMap((framework) =>
    HIT_SIZES.flatMap((size) =>
      contendersOf(framework).map((contender) => ({
        id: `hit/${framework}/${size}/${contender}`,
        larder: larderPackage(framework, contender),
        redis: needsRedis(contender),
        framework,
        size,
        contender,
      })),
    ),
  );
}

/** Per contender, one sample per round (undefined where that round did not run). */
type Samples = Map<Contender, (LoadSample | undefined)[]>;

interface GroupResult {
  samples: Samples;
  /** Cached contenders: handler executions during the measured rounds (0 when every request hit). */
  handlerRuns: Map<Contender, number>;
}

async function measureGroup(ctx: RunContext, cases: HitCase[], problems: string[]): Promise<GroupResult> {
  const { options } = ctx;
  const [first] = cases;
  const handlerRuns = new Map<Contender, number>();
  if (!first) return { samples: new Map(), handlerRuns };
  const bytes = SIZES[first.size];
  const expected = documentBytes(bytes);
  if (cases.some((c) => c.redis) && ctx.stores.redis) await ctx.stores.flushRedis();

  const fleet = await startFleet(ctx, cases, (c) => serverSpec(c.id, c.framework, c.contender, bytes, ctx.stores), problems);
  const hot = new Map<Member<HitCase>, number>();
  const samples: Samples = new Map(cases.map((c) => [c.contender, []]));
  try {
    for (const member of fleet) {
      const { item, server } = member;
      await attempt(member, problems, async () => {
        if (isCached(item.contender)) {
          await primeCache({ base: server.url, path: '/data', counter: 'data', larder: item.larder !== undefined, expected });
        } else {
          assertOk(await httpGet(`${server.url}/data`), 'first request', expected);
        }
        if (options.warmup > 0) {
          await runLoad({ url: `${server.url}/data`, connections: options.connections, duration: options.warmup });
        }
        hot.set(member, (await getCounts(server.url)).data);
      });
    }
    for (let round = 0; round < options.rounds; round += 1) {
      for (const member of rotate(healthy(fleet), round)) {
        const sample = await attempt(member, problems, () =>
          runLoad({ url: `${member.server.url}/data`, connections: options.connections, duration: options.duration }),
        );
        samples.get(member.item.contender)![round] = sample;
      }
    }
    // Were the measured requests all hits? A cached contender's handler count should not have moved
    // (a store read that fails or times out falls back to the handler, by design).
    for (const member of healthy(fleet).filter((m) => isCached(m.item.contender))) {
      await attempt(member, problems, async () => {
        handlerRuns.set(member.item.contender, (await getCounts(member.server.url)).data - hot.get(member)!);
      });
    }
  } finally {
    await stopFleet(fleet);
  }
  for (const member of fleet) if (member.failure) samples.set(member.item.contender, []);
  return { samples, handlerRuns };
}

function rps(samples: Samples, contender: Contender): (number | undefined)[] {
  return (samples.get(contender) ?? []).map((s) => s?.rps);
}

function groupTable(framework: Framework, size: SizeName, cases: HitCase[], { samples, handlerRuns }: GroupResult): Table {
  const rows = cases.map(({ contender }) => {
    const runs = (samples.get(contender) ?? []).filter((s): s is LoadSample => s !== undefined);
    if (runs.length === 0) return [contender, DASH, DASH, DASH, DASH, DASH, DASH];
    return [
      contender,
      int(median(runs.map((s) => s.rps))),
      percent(spread(runs.map((s) => s.rps))),
      ratio(pairedRatio(rps(samples, contender), rps(samples, 'floor'))),
      fixed(median(runs.map((s) => s.latencyP50))),
      fixed(median(runs.map((s) => s.latencyP99))),
      isCached(contender) ? int(handlerRuns.get(contender)) : 'every request',
    ];
  });
  return {
    title: `${framework}, ${size} JSON`,
    columns: ['contender', 'req/s (median)', 'spread', '× floor', 'p50 ms', 'p99 ms', 'handler runs'],
    rows,
  };
}

function groupChecks(framework: Framework, size: SizeName, samples: Samples, selected: (c: Contender) => boolean): Check[] {
  const peer = peerOf(framework);
  const pairs: [Contender, Contender, string, number][] = [
    ['larder-memory', 'floor', 'Larder memory hit ÷ floor', 0.95],
    ['larder-memory', peer, `Larder memory hit ÷ ${peer} hit`, 1.0],
    ['larder-sqlite', 'larder-memory', 'SQLite hit ÷ memory hit', 0.5],
    // Issue 15: with client tracking, a Redis hit on an unchanged entry makes no round trip.
    ['larder-redis', 'larder-memory', 'Redis hit ÷ memory hit', 0.95],
  ];
  return pairs
    .filter(([a, b]) => selected(a) && selected(b))
    .map(([a, b, label, target]) => ({
      scenario: 'hit',
      label: `${framework} ${size}: ${label}`,
      value: pairedRatio(rps(samples, a), rps(samples, b)),
      op: '>=',
      target,
      unit: 'ratio',
      chart: true,
    }));
}

export const hitScenario: Scenario = {
  name: 'hit',
  title: 'Hit throughput',
  cases: () => planCases(),
  async run(ctx, selected): Promise<ScenarioReport> {
    const report: ScenarioReport = {
      name: 'hit',
      title: 'Hit throughput (1 KiB and 100 KiB JSON)',
      method:
        `One server process per contender. Each cached route is primed (first response MISS, then a HIT ` +
        `that leaves the handler count unchanged, bodies byte-identical to the floor's). Then ` +
        `${ctx.options.warmup} s of unrecorded load per server and ${ctx.options.rounds} interleaved round(s) of ` +
        `${ctx.options.duration} s autocannon runs (${ctx.options.connections} connections, pipelining 1), the ` +
        `starting contender rotating each round. "handler runs" counts executions of a cached contender's ` +
        `handler during the measured rounds (0: every request was a hit). "× floor" and the checks are ` +
        `medians of per-round ratios.`,
      tables: [],
      checks: [],
      problems: [],
      notes: [],
    };
    for (const framework of FRAMEWORKS) {
      for (const size of HIT_SIZES) {
        const cases = planCases().filter((c) => c.framework === framework && c.size === size && selected.has(c.id));
        if (cases.length === 0) continue;
        ctx.log(`hit: ${framework} ${size} — ${cases.map((c) => c.contender).join(', ')}`);
        const result = await measureGroup(ctx, cases, report.problems);
        const { samples } = result;
        const table = groupTable(framework, size, cases, result);
        report.tables.push(table);
        ctx.log(table);
        const isSelected = (c: Contender) => selected.has(`hit/${framework}/${size}/${c}`);
        report.checks.push(...groupChecks(framework, size, samples, isSelected));
        for (const [contender, runs] of result.handlerRuns) {
          if (runs === 0) continue;
          const note =
            `hit/${framework}/${size}/${contender}: the handler ran ${runs} times during the measured runs, so not every ` +
            `request was a hit (a store read that fails or exceeds storeTimeout falls back to the handler); its numbers include those misses.`;
          report.notes.push(note);
          ctx.log(`note: ${note}`);
        }
      }
    }
    return report;
  },
};
