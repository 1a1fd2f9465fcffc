import { fixed, ratio } from '../lib/format.ts';
import { message } from '../lib/fleet.ts';
import { median, pairedRatio } from '../lib/stats.ts';
import type { CaseInfo, Check, Scenario, ScenarioReport, Table } from '../lib/types.ts';
import type { HashingResult } from '../probes/hashing.ts';

const CASES = ['buffer', 'float64', 'request-key', 'json-body'] as const;
type HashCase = (typeof CASES)[number];

const IDS: Record<HashCase, string> = {
  buffer: 'hashing/buffer-64mib',
  float64: 'hashing/float64array-64mib',
  'request-key': 'hashing/request-key',
  'json-body': 'hashing/json-body-1mib',
};

function mbPerSecond(bytes: number, ms: number): number {
  return bytes / 2 ** 20 / (ms / 1000);
}

export const hashingScenario: Scenario = {
  name: 'hashing',
  title: 'Hashing',
  cases: () => CASES.map((c) => ({ id: IDS[c], larder: '@larder/core', redis: false }) satisfies CaseInfo),
  async run(ctx, selected): Promise<ScenarioReport> {
    const chosen = CASES.filter((c) => selected.has(IDS[c]));
    const reps = ctx.options.quick ? 3 : 7;
    const problems: string[] = [];
    const rows: string[][] = [];
    const checks: Check[] = [];
    ctx.log(`hashing: ${chosen.join(', ')}`);

    let result: HashingResult = {};
    try {
      result = (await ctx.runProbe({
        label: 'hashing',
        file: 'bench/probes/hashing.ts',
        args: ['--reps', String(reps), '--cases', chosen.join(',')],
      })) as HashingResult;
    } catch (error) {
      problems.push(`hashing: ${message(error)}`);
    }

    for (const [name, data] of [
      ['64 MiB Buffer', result.buffer],
      ['64 MiB Float64Array', result.float64],
    ] as const) {
      if (!data) continue;
      const larder = data.larderMs.map((ms) => mbPerSecond(data.bytes, ms));
      const sha = data.sha256Ms.map((ms) => mbPerSecond(data.bytes, ms));
      const value = pairedRatio(larder, sha);
      rows.push([`hashValue(${name})`, `${fixed(median(larder), 0)} MiB/s`, `${fixed(median(sha), 0)} MiB/s`, ratio(value)]);
      const label = `hashValue ÷ raw SHA-256 throughput, ${name}`;
      checks.push({ scenario: 'hashing', label, value, op: '>=', target: 0.8, unit: 'ratio', chart: true });
    }
    if (result.requestKeyMicros) {
      const micros = median(result.requestKeyMicros);
      rows.push(['key of a typical request (5 string fields)', `${fixed(micros, 2)} µs`, '', '']);
      const label = 'Key of a typical request (5 string fields)';
      checks.push({ scenario: 'hashing', label, value: micros, op: '<=', target: 10, unit: 'µs', chart: false });
    }
    if (result.jsonBody) {
      const { bytes, larderMs, sha256Ms } = result.jsonBody;
      const ms = median(larderMs);
      rows.push([
        'key of a 1 MiB JSON body (hashValue of the parsed object)',
        `${fixed(ms, 2)} ms (${fixed(mbPerSecond(bytes, ms), 0)} MiB/s)`,
        `${fixed(median(sha256Ms), 2)} ms over the JSON text`,
        '',
      ]);
    }

    const table: Table = { title: 'hashValue vs crypto.createHash("sha256")', columns: ['input', 'hashValue', 'raw SHA-256', '÷ SHA-256'], rows };
    ctx.log(table);
    return {
      name: 'hashing',
      title: 'Hashing',
      method:
        `In a separate process (bench/probes/hashing.ts), against the built @larder/core. 64 MiB inputs are ` +
        `random bytes and a Float64Array; each of ${reps} repetitions times hashValue(value) and ` +
        `createHash('sha256').update(bytes).digest('hex') back to back on the same bytes, after one untimed call ` +
        `each; the ratio is the median of paired throughput ratios. The request key is hashValue of a fresh ` +
        `object of 5 short string fields, timed in batches of 2,000 after 20,000 warm-up calls (median batch). ` +
        `The 1 MiB JSON body is hashValue of the parsed object; the SHA-256 of its text is shown for scale ` +
        `(the issue sets no target for it).`,
      tables: [table],
      checks,
      problems,
      notes: [],
    };
  },
};
