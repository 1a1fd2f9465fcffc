import { FRAMEWORKS, larderPackage, peerOf, serverSpec, type Contender } from '../lib/contenders.ts';
import { attempt, healthy, startFleet, stopFleet } from '../lib/fleet.ts';
import { DASH, fixed, int } from '../lib/format.ts';
import { getCounts } from '../lib/http.ts';
import { runLoad } from '../lib/load.ts';
import { primeCache } from '../lib/prime.ts';
import { burst } from '../lib/burst.ts';
import { median, quantile, rotate } from '../lib/stats.ts';
import type { CaseInfo, Check, Scenario, ScenarioReport } from '../lib/types.ts';
import type { Framework } from '../servers/shared/args.ts';
import { KiB } from '../servers/shared/payload.ts';
import { SLOW_HANDLER_MS } from '../servers/shared/routes.ts';

/** Concurrent requests fired at one cold key. */
const CONCURRENCY = 200;

interface StampedeCase extends CaseInfo {
  framework: Framework;
  contender: Contender;
}

function planCases(): StampedeCase[] {
  return FRAMEWORKS.flatMap((framework) =>
    (['larder-memory', peerOf(framework)] as const).map((contender) => ({
      id: `stampede/${framework}/${contender}`,
      larder: larderPackage(framework, contender),
      redis: false,
      framework,
      contender,
    })),
  );
}

interface Round {
  executions: number;
  p99: number;
}

export const stampedeScenario: Scenario = {
  name: 'stampede',
  title: 'Stampede',
  cases: () => planCases(),
  async run(ctx, selected): Promise<ScenarioReport> {
    const { options } = ctx;
    const problems: string[] = [];
    const cases = planCases().filter((c) => selected.has(c.id));
    const rounds = new Map<string, Round[]>(cases.map((c) => [c.id, []]));
    ctx.log(`stampede: ${cases.map((c) => c.id.slice('stampede/'.length)).join(', ')}`);

    const fleet = await startFleet(ctx, cases, (c) => serverSpec(c.id, c.framework, c.contender, KiB, ctx.stores), problems);
    try {
      // Warm the hit path on its own key so that JIT compilation does not land in the measured p99.
      for (const member of fleet) {
        await attempt(member, problems, async () => {
          const base = member.server.url;
          await primeCache({ base, path: '/slow?k=warm', counter: 'slow', larder: member.item.larder !== undefined });
          await runLoad({ url: `${base}/slow?k=warm`, connections: options.connections, duration: 1 });
        });
      }
      for (let round = 0; round < options.rounds; round += 1) {
        for (const member of rotate(healthy(fleet), round)) {
          await attempt(member, problems, async () => {
            const base = member.server.url;
            const before = (await getCounts(base)).slow;
            // A key no request has used: every round is a cold start.
            const { latencies, statuses } = await burst(`${base}/slow?k=cold-${round}`, CONCURRENCY);
            const failed = statuses.filter((s) => s !== 200).length;
            if (failed > 0) throw new Error(`${failed} of ${CONCURRENCY} stampede responses were not 200 (${statuses.find((s) => s !== 200)})`);
            const executions = (await getCounts(base)).slow - before;
            rounds.get(member.item.id)!.push({ executions, p99: quantile(latencies, 0.99) });
          });
        }
      }
    } finally {
      await stopFleet(fleet);
    }

    const table = {
      title: `${CONCURRENCY} concurrent requests on a cold key, ${SLOW_HANDLER_MS} ms handler`,
      columns: ['contender', 'handler runs (median)', 'handler runs (max)', 'p99 ms (median)', 'rounds'],
      rows: cases.map((c) => {
        const r = rounds.get(c.id)!;
        if (r.length === 0) return [c.id, DASH, DASH, DASH, '0'];
        return [
          c.id,
          int(median(r.map((x) => x.executions))),
          int(Math.max(...r.map((x) => x.executions))),
          fixed(median(r.map((x) => x.p99)), 1),
          String(r.length),
        ];
      }),
    };
    ctx.log(table);

    // Larder must run the handler once in every round, so its worst round is what counts. The peers
    // have no single-flight (one run per request is expected); they are reported, not judged.
    const checks: Check[] = cases
      .filter((c) => c.larder !== undefined)
      .map((c) => {
        const r = rounds.get(c.id)!;
        return {
          scenario: 'stampede',
          label: `${c.framework}: Larder handler runs for ${CONCURRENCY} concurrent misses (worst round)`,
          value: r.length === 0 ? undefined : Math.max(...r.map((x) => x.executions)),
          op: '=',
          target: 1,
          unit: 'runs',
          chart: false,
        };
      });

    return {
      name: 'stampede',
      title: 'Stampede (concurrent misses on one key)',
      method:
        `One server process per contender (Larder on the memory store). Each server is first primed and ` +
        `loaded for 1 s on its own key (autocannon), so the hit path is compiled. Then, per round, the runner ` +
        `opens ${CONCURRENCY} connections, waits until all are connected, and writes one request on each in the ` +
        `same tick (bench/lib/burst.ts; autocannon would send as each connection opens, spreading the burst) ` +
        `to a key never used before (\`/slow?k=cold-<round>\`), whose handler waits ${SLOW_HANDLER_MS} ms. The ` +
        `server counts handler executions (GET /__count before and after); p99 is over the ${CONCURRENCY} ` +
        `latencies (write to last byte). ${options.rounds} round(s), contenders interleaved. apicache and ` +
        `koa-cash have no single-flight, so one run per request is expected of them.`,
      tables: [table],
      checks,
      problems,
      notes: [],
    };
  },
};
