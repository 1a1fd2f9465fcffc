import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Smoke-test mode: short rounds, one round, smaller memory and payload runs. */
  quick: boolean;
  /** Case-id substrings; a case runs when its id contains any of them. Empty: everything. */
  only: string[];
  rounds: number;
  /** Seconds per autocannon run. */
  duration: number;
  /** Seconds of unrecorded load per server before the first round. */
  warmup: number;
  connections: number;
  /** False with --no-larder: only baselines and peers run, nothing is built. */
  larder: boolean;
  /** False with --no-build: use packages/*\/dist as they are. */
  build: boolean;
  /** False with --no-pin: servers and the load generator are not pinned to separate CPUs. */
  pin: boolean;
  /** Print the case ids and exit. */
  list: boolean;
  help: boolean;
  /** Where RESULTS.md and ratios.svg go; defaults to bench/ for full runs, bench/.tmp/ otherwise. */
  out: string | undefined;
}

export const USAGE = `Usage: npm run bench -- [options]

  --quick            smoke test: 2 s runs, 1 round, smaller memory/payload runs
  --only <term>      run only matching cases (repeat or comma-separate): a scenario name
                     (hit, stampede, payload, hashing, memory, functions) or a substring of case ids
  --rounds N         interleaved rounds per contender (default 5; quick 1)
  --duration S       seconds per autocannon run (default 3; quick 2)
  --warmup S         unrecorded seconds per server before round 1 (default 2; quick 1)
  --connections C    autocannon connections for throughput runs (default 32)
  --no-larder        skip every Larder contender (and the build)
  --no-build         do not run \`npm run build\` first
  --no-pin           do not pin servers to CPU 0 and the load generator to CPU 1
  --out DIR          where to write RESULTS.md and ratios.svg
  --list             print the case ids and exit

Full runs (no --quick, no --only, no --no-larder) write bench/RESULTS.md and bench/ratios.svg;
partial runs write to bench/.tmp/ so they never overwrite the published results.`;

export function parseCli(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true, default: [] },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'no-larder': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      out: { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const quick = values.quick;
  return {
    quick,
    only: values.only.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean),
    rounds: numberFlag('--rounds', values.rounds, quick ? 1 : 5),
    duration: numberFlag('--duration', values.duration, quick ? 2 : 3),
    warmup: numberFlag('--warmup', values.warmup, quick ? 1 : 2, true),
    connections: numberFlag('--connections', values.connections, 32),
    larder: !values['no-larder'],
    build: !values['no-build'],
    pin: !values['no-pin'],
    list: values.list,
    help: values.help,
    out: values.out,
  };
}

/** A full run measures every case with the default schedule; only full runs publish results. */
export function isFullRun(options: BenchOptions): boolean {
  return !options.quick && options.only.length === 0 && options.larder && options.pin;
}

function numberFlag(flag: string, raw: string | undefined, fallback: number, allowZero = false): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) {
    throw new Error(`${flag} must be a positive number, got '${raw}' (example: ${flag} ${fallback})`);
  }
  return n;
}
