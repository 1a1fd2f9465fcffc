// `npm run bench`: runs the scenarios, prints their tables, writes RESULTS.md and ratios.svg.
// Never part of `npm test`. See bench/README.md for what is measured and how.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HINT, prepareLarder } from './lib/build.ts';
import { measured, targetText, verdict } from './lib/checks.ts';
import { isFullRun, parseCli, USAGE, type BenchOptions } from './lib/cli.ts';
import { planCpus } from './lib/cpus.ts';
import { describeMachine, loadAverage } from './lib/machine.ts';
import { BENCH_DIR, ROOT, TMP_DIR } from './lib/paths.ts';
import { redisUnavailable, startRedis, type RedisServer } from './lib/redis.ts';
import { checksTable, resultsMarkdown, textTable } from './lib/report.ts';
import { runProbe, startServer, stopAll } from './lib/spawn.ts';
import { ratioChart } from './lib/svg.ts';
import type { CaseInfo, LarderPackage, RunContext, Scenario, ScenarioReport, Stores } from './lib/types.ts';
import { functionsScenario } from './scenarios/functions.ts';
import { hashingScenario } from './scenarios/hashing.ts';
import { hitScenario } from './scenarios/hit.ts';
import { inspectorScenario } from './scenarios/inspector.ts';
import { memoryScenario } from './scenarios/memory.ts';
import { payloadScenario } from './scenarios/payload.ts';
import { fleetScenario } from './scenarios/fleet.ts';
import { stampedeScenario } from './scenarios/stampede.ts';

/** This run's SQLite files and redis-server directory. */
const RUN_DIR = join(TMP_DIR, `run-${process.pid}`);

const SCENARIOS: readonly Scenario[] = [hitScenario, stampedeScenario, fleetScenario, payloadScenario, hashingScenario, memoryScenario, functionsScenario, inspectorScenario];

/** `--only hit` or `--only memory` names a scenario; any other term is a substring of case ids. */
function matches(term: string, id: string): boolean {
  return SCENARIOS.some((s) => s.name === term) ? id.startsWith(`${term}/`) : id.includes(term);
}

function select(options: BenchOptions): Map<Scenario, CaseInfo[]> {
  const chosen = (c: CaseInfo) =>
    (options.larder || c.larder === undefined) && (options.only.length === 0 || options.only.some((t) => matches(t, c.id)));
  return new Map(SCENARIOS.map((s) => [s, s.cases(options).filter(chosen)]));
}

/**
 * Builds and checks the Larder packages and redis-server the selected cases need. Cases whose package
 * or store is unavailable are dropped from `selection` and reported in `skipped`.
 */
function preflight(options: BenchOptions, selection: Map<Scenario, CaseInfo[]>, skipped: string[]): { redisProblem: string | undefined } {
  const cases = [...selection.values()].flat();
  const packages = new Set(cases.flatMap((c) => (c.larder ? [c.larder] : [])));
  const unusable = packages.size > 0 ? prepareLarder(packages, options.build) : new Map<LarderPackage, string>();
  const redisProblem = cases.some((c) => c.redis) ? redisUnavailable() : undefined;
  for (const [scenario, list] of selection) {
    selection.set(
      scenario,
      list.filter((c) => {
        const reason = (c.larder && unusable.get(c.larder)) || (c.redis && redisProblem);
        if (reason) skipped.push(`${c.id}: skipped: ${reason}`);
        return !reason;
      }),
    );
  }
  if (unusable.size > 0) console.warn(`Skipping cases: ${[...unusable.values()].join('; ')}. ${HINT}`);
  if (redisProblem) console.warn(`Skipping the Redis contenders: ${redisProblem}`);
  return { redisProblem };
}

async function main(): Promise<number> {
  const options = parseCli(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (options.list) {
    for (const scenario of SCENARIOS) for (const c of scenario.cases(options)) console.log(c.id);
    return 0;
  }

  const selection = select(options);
  if ([...selection.values()].flat().length === 0) {
    console.error(`No case matches --only ${options.only.join(',')}. Run with --list to see the case ids.`);
    return 2;
  }

  const cpus = planCpus(options.pin);
  console.log(`CPUs: ${cpus.description}`);
  const startedAt = new Date();
  const machine = describeMachine(redisVersion());
  if (machine.loadAtStart > machine.cores) {
    console.warn(`Load average ${machine.loadAtStart} on ${machine.cores} cores: other work is running, expect noisy numbers.`);
  }
  mkdirSync(RUN_DIR, { recursive: true });
  let redis: RedisServer | undefined;
  const skipped: string[] = [];
  try {
    const { redisProblem } = preflight(options, selection, skipped);
    const cases = [...selection.values()].flat();
    if (cases.some((c) => c.redis)) redis = await startRedis(RUN_DIR);

    const stores: Stores = {
      memory: 'memory://',
      // Relative to the repository root, the servers' working directory, as in the spec's example.
      sqlite: (name) => `sqlite://./${relative(ROOT, join(RUN_DIR, `${name}.sqlite`))}`,
      redis: redis?.url,
      redisProblem,
      flushRedis: async () => redis?.flush(),
    };
    const ctx: RunContext = {
      options,
      stores,
      startServer: (spec) => startServer(spec),
      runProbe: (spec) => runProbe(spec),
      log: (message) => console.log(typeof message === 'string' ? `\n▶ ${message}` : `\n${textTable(message)}`),
    };

    console.log(
      `Larder bench: ${cases.length} cases, ${options.rounds} round(s) × ${options.duration} s, ` +
        `${options.warmup} s warm-up, ${options.connections} connections${options.quick ? ' (quick)' : ''}`,
    );
    const reports: ScenarioReport[] = [];
    for (const scenario of SCENARIOS) {
      const selected = new Set(selection.get(scenario)!.map((c) => c.id));
      if (selected.size === 0) continue;
      reports.push(await scenario.run(ctx, selected));
    }

    const elapsedSeconds = (Date.now() - startedAt.getTime()) / 1000;
    const fullRun = isFullRun(options);
    const outDir = options.out ?? (fullRun ? BENCH_DIR : TMP_DIR);
    mkdirSync(outDir, { recursive: true });
    machine.loadAtEnd = loadAverage();
    const checks = reports.flatMap((r) => r.checks);
    const chartFile = 'ratios.svg';
    writeFileSync(
      join(outDir, chartFile),
      ratioChart(checks, `${startedAt.toISOString().slice(0, 10)} · ${machine.cpu} · ${machine.cores} cores · Node ${machine.node}`),
    );
    writeFileSync(
      join(outDir, 'RESULTS.md'),
      resultsMarkdown({ options, fullRun, machine, cpus: cpus.description, startedAt, elapsedSeconds, reports, skipped, chartFile, limits: readLimits() }),
    );

    console.log(`\n${textTable(checksTable(checks))}`);
    const problems = [...skipped, ...reports.flatMap((r) => r.problems)];
    if (problems.length > 0) console.log(`\nSkipped or failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    const misses = checks.filter((c) => verdict(c) === 'miss');
    for (const c of misses) console.log(`  miss: ${c.label}: ${measured(c)} (target ${targetText(c)})`);
    const written = [join(outDir, 'RESULTS.md'), join(outDir, chartFile)].map((f) => relative(ROOT, f));
    console.log(`\nWrote ${written.join(' and ')} in ${Math.round(elapsedSeconds)} s.`);
    // Misses are results, not failures; a case that could not run is a harness failure.
    return problems.length > 0 ? 1 : 0;
  } finally {
    await redis?.stop();
    await stopAll();
    rmSync(RUN_DIR, { recursive: true, force: true });
  }
}

function redisVersion(): string {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers…`);
    void stopAll().finally(() => {
      rmSync(RUN_DIR, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

/** The hand-written analysis of missed targets, if present (bench/LIMITS.md). */
function readLimits(): string | undefined {
  const file = join(ROOT, 'bench', 'LIMITS.md');
  return existsSync(file) ? readFileSync(file, 'utf8').replace(/^<!--.*?-->\s*/s, '') : undefined;
}
