import { FRAMEWORKS, serverSpec } from '../lib/contenders.ts';
import { attempt, healthy, startFleet, stopFleet } from '../lib/fleet.ts';
import { DASH, fixed, ratio } from '../lib/format.ts';
import { assertOk, header, httpGet } from '../lib/http.ts';
import { primeCache } from '../lib/prime.ts';
import { median, pairedRatio, rotate } from '../lib/stats.ts';
import type { CaseInfo, Check, Scenario, ScenarioReport, Table } from '../lib/types.ts';
import type { Framework } from '../servers/shared/args.ts';
import { documentBytes, KiB, SIZES } from '../servers/shared/payload.ts';

type Variant = 'uncached' | 'larder-miss' | 'larder-hit';
const VARIANTS: readonly Variant[] = ['uncached', 'larder-miss', 'larder-hit'];

interface PayloadCase extends CaseInfo {
  framework: Framework;
  variant: Variant;
}

function planCases(): PayloadCase[] {
  return FRAMEWORKS.flatMap((framework) =>
    VARIANTS.map((variant) => ({
      id: `payload/${framework}/${variant}`,
      larder: variant === 'uncached' ? undefined : framework === 'koa' ? '@larder/koa' : '@larder/express',
      redis: false,
      framework,
      variant,
    })),
  );
}

/** Sequential requests per contender per round: latency, not throughput, is the question here. */
function requestsPerRound(quick: boolean): number {
  return quick ? 2 : 5;
}

export const payloadScenario: Scenario = {
  name: 'payload',
  title: 'Large payload',
  cases: () => planCases(),
  async run(ctx, selected): Promise<ScenarioReport> {
    const { options } = ctx;
    const problems: string[] = [];
    const tables: Table[] = [];
    const checks: Check[] = [];
    const expected = documentBytes(SIZES['10mb']);
    const perRound = requestsPerRound(options.quick);

    for (const framework of FRAMEWORKS) {
      const cases = planCases().filter((c) => c.framework === framework && selected.has(c.id));
      if (cases.length === 0) continue;
      ctx.log(`payload: ${framework} — ${cases.map((c) => c.variant).join(', ')}`);
      // Round medians of per-request latency (ms), per variant.
      const medians = new Map<Variant, (number | undefined)[]>(cases.map((c) => [c.variant, []]));
      let missKey = 0;
      const path = (variant: Variant) => (variant === 'larder-miss' ? `/big?n=${missKey++}` : variant === 'larder-hit' ? '/big?n=hit' : '/big');
      const fleet = await startFleet(
        ctx,
        cases,
        (c) => serverSpec(c.id, framework, c.variant === 'uncached' ? 'framework' : 'larder-memory', KiB, ctx.stores),
        problems,
      );

      // One timed request, checked: right bytes (first time), right X-Cache.
      const timed = async (variant: Variant, base: string, checkBody: boolean): Promise<number> => {
        const res = await httpGet(`${base}${path(variant)}`, { keepBody: checkBody });
        assertOk(res, `payload/${framework}/${variant}`, checkBody ? expected : undefined);
        if (res.bodyLength !== expected.length) throw new Error(`body of ${res.bodyLength} bytes, expected ${expected.length}`);
        const want = variant === 'larder-miss' ? 'MISS' : variant === 'larder-hit' ? 'HIT' : undefined;
        if (want && header(res, 'x-cache') !== want) throw new Error(`X-Cache is ${header(res, 'x-cache')}, expected ${want}`);
        return res.ms;
      };

      try {
        for (const member of fleet) {
          const { variant } = member.item;
          await attempt(member, problems, async () => {
            if (variant === 'larder-hit') {
              await primeCache({ base: member.server.url, path: '/big?n=hit', counter: 'big', larder: true, expected });
            }
            for (let i = 0; i < 2; i += 1) await timed(variant, member.server.url, i === 0);
          });
        }
        for (let round = 0; round < options.rounds; round += 1) {
          for (const member of rotate(healthy(fleet), round)) {
            const latencies = await attempt(member, problems, async () => {
              const ms: number[] = [];
              for (let i = 0; i < perRound; i += 1) ms.push(await timed(member.item.variant, member.server.url, false));
              return ms;
            });
            medians.get(member.item.variant)![round] = latencies && median(latencies);
          }
        }
      } finally {
        await stopFleet(fleet);
      }
      for (const member of fleet) if (member.failure) medians.set(member.item.variant, []);

      const msOf = (v: Variant) => (medians.get(v) ?? []).filter((x): x is number => x !== undefined);
      const vsUncached = (v: Variant) => pairedRatio(medians.get(v) ?? [], medians.get('uncached') ?? []);
      const table: Table = {
        title: `${framework}, 10 MiB JSON, ${perRound} sequential requests per round`,
        columns: ['contender', 'latency ms (median)', 'min round', 'max round', '× uncached'],
        rows: cases.map(({ variant }) => {
          const ms = msOf(variant);
          if (ms.length === 0) return [variant, DASH, DASH, DASH, DASH];
          return [variant, fixed(median(ms), 1), fixed(Math.min(...ms), 1), fixed(Math.max(...ms), 1), ratio(vsUncached(variant))];
        }),
      };
      tables.push(table);
      ctx.log(table);

      const targets: [Variant, string, number][] = [
        ['larder-hit', 'Larder hit ÷ uncached latency', 0.2],
        ['larder-miss', 'Larder miss ÷ uncached latency', 1.15],
      ];
      for (const [variant, label, target] of targets) {
        if (!selected.has(`payload/${framework}/${variant}`) || !selected.has(`payload/${framework}/uncached`)) continue;
        const value = vsUncached(variant);
        checks.push({ scenario: 'payload', label: `${framework} 10 MiB: ${label}`, value, op: '<=', target, unit: 'ratio', chart: true });
      }
    }

    return {
      name: 'payload',
      title: 'Large payload (10 MiB JSON)',
      method:
        `One server process per contender: the uncached framework handler (res.json / ctx.body of a prebuilt ` +
        `10 MiB object, serialized on every request), and two Larder memory-store servers (maxBodyBytes raised to ` +
        `64 MiB, since the default 8 MiB would not store it). Misses use a fresh key per request (\`/big?n=<i>\`), ` +
        `hits one primed key. Latency is from sending the request to the last body byte, over a keep-alive ` +
        `connection, one request at a time; two unrecorded requests per server first (the first checked ` +
        `byte-for-byte). ${perRound} requests per contender per round, ${options.rounds} interleaved round(s); ` +
        `ratios are medians of per-round ratios of round medians.`,
      tables,
      checks,
      problems,
      notes: [],
    };
  },
};
