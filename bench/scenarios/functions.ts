import { message } from '../lib/fleet.ts';
import type { CaseInfo, Check, RunContext, Scenario, ScenarioReport, Table } from '../lib/types.ts';
import { CACHES, CONTENDERS, type ContenderId } from '../functions/contenders.ts';
import { KEY_SIZES, type HitCaseId } from '../functions/payloads.ts';
import type { Schedule } from '../functions/rounds.ts';
import { correctnessChecks, correctnessTable, hitsChecks, hitsTable, keyingTable, keysChecks, keysTable } from '../functions/tables.ts';
import type { CorrectnessResult, HitsResult, KeysResult } from '../probes/functions.ts';

const PROBE = 'bench/probes/functions.ts';
const HIT_CASE_IDS: readonly HitCaseId[] = ['small', 'rows', 'large'];

/** The contenders of each hit case: case (b) adds the SQLite store and its floor, a prepared SELECT. */
function hitContenders(kase: HitCaseId): ContenderId[] {
  return kase === 'rows' ? ['larder-data', 'larder-data-sqlite', 'sqlite-select', ...CACHES.slice(1)] : [...CACHES];
}

const caseInfo = (id: string, contender: ContenderId | undefined): CaseInfo => ({
  id,
  // The SQLite floor reads the row Larder wrote, so it needs Larder as much as Larder's own contenders.
  larder: contender === undefined || CONTENDERS[contender].larder || contender === 'sqlite-select' ? '@larder/core' : undefined,
  redis: false,
});

function planCases(): CaseInfo[] {
  return [
    ...HIT_CASE_IDS.flatMap((kase) => hitContenders(kase).map((c) => caseInfo(`functions/hits/${kase}/${c}`, c))),
    caseInfo('functions/keys', undefined),
    ...CACHES.map((c) => caseInfo(`functions/correctness/${c}`, c)),
  ];
}

/** Rounds are cheap here (a fraction of a second per contender) and noisy on a shared machine: six per `--rounds`. */
function scheduleOf(ctx: RunContext): Schedule {
  const { quick, rounds } = ctx.options;
  return { rounds: rounds * 6, sampleMs: quick ? 20 : 60, warmupMs: quick ? 100 : 500 };
}

function scheduleArgs(schedule: Schedule): string[] {
  return ['--rounds', String(schedule.rounds), '--sample-ms', String(schedule.sampleMs), '--warmup-ms', String(schedule.warmupMs)];
}

export const functionsScenario: Scenario = {
  name: 'functions',
  title: 'Function caches',
  cases: () => planCases(),
  async run(ctx, selected): Promise<ScenarioReport> {
    const schedule = scheduleOf(ctx);
    const tables: Table[] = [];
    const checks: Check[] = [];
    const problems: string[] = [];
    const notes: string[] = [];
    const keying = new Map<ContenderId, string>();
    const probe = async <T>(label: string, args: string[]): Promise<T | undefined> => {
      try {
        return (await ctx.runProbe({ label, file: PROBE, args })) as T;
      } catch (error) {
        problems.push(`${label}: ${message(error)}`);
        return undefined;
      }
    };

    for (const kase of HIT_CASE_IDS) {
      const chosen = hitContenders(kase).filter((c) => selected.has(`functions/hits/${kase}/${c}`));
      if (chosen.includes('sqlite-select') && !chosen.includes('larder-data-sqlite')) {
        problems.push(`functions/hits/${kase}/sqlite-select: skipped: it reads the row larder-data-sqlite writes; select both`);
        chosen.splice(chosen.indexOf('sqlite-select'), 1);
      }
      if (chosen.length === 0) continue;
      ctx.log(`functions: hits ${kase} — ${chosen.join(', ')}`);
      const sqliteFile = ctx.stores.sqlite(`functions-${kase}`).slice('sqlite://'.length);
      const result = await probe<HitsResult>(`functions/hits/${kase}`, [
        '--section', 'hits', '--case', kase, '--contenders', chosen.join(','), '--sqlite-file', sqliteFile, ...scheduleArgs(schedule),
      ]);
      if (!result) continue;
      for (const [id, reason] of Object.entries(result.failed)) problems.push(`functions/hits/${kase}/${id}: ${reason}`);
      for (const [id, row] of Object.entries(result.contenders)) {
        if (id !== 'sqlite-select') keying.set(id as ContenderId, row.keying);
        if (row.runsWhileMeasured > 0) notes.push(`functions/hits/${kase}/${id}: the function ran ${row.runsWhileMeasured} time(s) during the measured rounds (not every call was a hit).`);
      }
      const table = hitsTable(result);
      tables.push(table);
      checks.push(...hitsChecks(result));
      ctx.log(table);
    }

    if (selected.has('functions/keys')) {
      ctx.log('functions: key cost');
      const result = await probe<KeysResult>('functions/keys', ['--section', 'keys', '--sizes', KEY_SIZES.join(','), ...scheduleArgs(schedule)]);
      if (result) {
        const table = keysTable(result);
        tables.push(table);
        checks.push(...keysChecks(result));
        ctx.log(table);
      }
    }

    const judged = CACHES.filter((c) => selected.has(`functions/correctness/${c}`));
    if (judged.length > 0) {
      ctx.log(`functions: key correctness — ${judged.join(', ')}`);
      const result = await probe<CorrectnessResult>('functions/correctness', ['--section', 'correctness', '--contenders', judged.join(',')]);
      if (result) {
        for (const [id, row] of Object.entries(result.contenders)) keying.set(id as ContenderId, row.keying);
        const table = correctnessTable(result);
        tables.push(table);
        checks.push(...correctnessChecks(result));
        ctx.log(table);
      }
    }
    if (keying.size > 0) tables.unshift(keyingTable(keying));

    return {
      name: 'functions',
      title: 'Function caches',
      method:
        `In-process, against the built @larder/core: one probe process per hit case (bench/probes/functions.ts), ` +
        `in which every contender wraps its own copy of the same async function. Each is primed until a call ` +
        `leaves the function's run count unchanged, its result is checked against the function's, and two hits ` +
        `tell whether it hands each caller a copy ("copies": two hits return different objects). Then ` +
        `${schedule.warmupMs} ms of unrecorded calls each and ${schedule.rounds} interleaved rounds (the starting ` +
        `contender rotating), each round ${schedule.sampleMs} ms of sequential awaited calls per contender in ` +
        `batches; a round's value is its median batch, the tables show medians over rounds, and ratios are medians ` +
        `of per-round ratios. "× fastest copying peer" divides by the fastest peer that copies (in that round): ` +
        `the peers that share one object between callers skip the copy that cacheData makes, and cacheResource is ` +
        `the Larder equivalent of those. The SQLite floor reads the row the Larder SQLite contender stored with a ` +
        `statement prepared once, through sqlite3 directly. Key cost times hashValue (what cacheData's key is made ` +
        `of) on a Float64Array against SHA-256 of its bytes, and on a nested object (line items holding objects) ` +
        `against JSON.stringify of it. The correctness table calls a fresh cache of a function that describes its ` +
        `arguments with each pair's first then second argument list, and records whether the second call got its ` +
        `own result (packages/core/test/fixtures/lossy-pairs.ts; the same check runs for Larder in npm test).`,
      tables,
      checks,
      problems,
      notes,
    };
  },
};
