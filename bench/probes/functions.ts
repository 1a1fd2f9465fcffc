// Function-cache probe, run in its own process by bench/scenarios/functions.ts, one section per run:
//   --section hits --case small|rows|large --contenders a,b,…   hit cost of each cache, interleaved
//   --section keys --sizes 100,1000,…                           key cost against SHA-256 and JSON.stringify
//   --section correctness --contenders a,b,…                    which caches keep lossy-key pairs apart
// Prints one `RESULT <json>` line.
import { deepStrictEqual } from 'node:assert';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { checkPair, describeArguments, LOSSY_PAIRS, type PairOutcome } from '../../packages/core/test/fixtures/lossy-pairs.ts';
import { CONTENDERS, type ContenderId, type Env, type Fn, type Wrapped } from '../functions/contenders.ts';
import { floatArgument, HIT_CASES, jsonBytes, nestedArgument, type HitCaseId } from '../functions/payloads.ts';
import { interleave, type Operation, type Schedule } from '../functions/rounds.ts';

export interface HitsResult {
  case: HitCaseId;
  argumentBytes: number;
  resultBytes: number;
  contenders: Partial<Record<ContenderId, ContenderHits>>;
  /** Contenders that could not be set up or primed, with the reason. */
  failed: Partial<Record<ContenderId, string>>;
}

export interface ContenderHits {
  keying: string;
  /** Whether two hits returned two different objects (a copy per caller); undefined for the SQLite floor. */
  copies: boolean | undefined;
  /** Runs of the function during the measured rounds: 0 when every measured call was a hit. */
  runsWhileMeasured: number;
  /** Nanoseconds per call, one number per round. */
  nsPerCall: number[];
}

export interface KeysResult {
  sizes: Array<{ bytes: number; floatBytes: number; nestedBytes: number; nsPerCall: Record<KeyOp, number[]> }>;
}

export type KeyOp = 'float-hashValue' | 'float-sha256' | 'nested-hashValue' | 'nested-json';

export interface CorrectnessResult {
  pairs: string[];
  contenders: Partial<Record<ContenderId, { keying: string; outcomes: PairOutcome[] }>>;
}

const { values } = parseArgs({
  options: {
    section: { type: 'string', default: 'hits' },
    case: { type: 'string', default: 'small' },
    contenders: { type: 'string', default: '' },
    sizes: { type: 'string', default: '' },
    rounds: { type: 'string', default: '5' },
    'sample-ms': { type: 'string', default: '50' },
    'warmup-ms': { type: 'string', default: '200' },
    'sqlite-file': { type: 'string', default: 'bench/.tmp/functions.sqlite' },
  },
});
const schedule: Schedule = { rounds: Number(values.rounds), sampleMs: Number(values['sample-ms']), warmupMs: Number(values['warmup-ms']) };
const env: Env = { sqliteFile: values['sqlite-file'] };
const contenderIds = values.contenders.split(',').filter(Boolean) as ContenderId[];

/** Calls until a call leaves the function's run count unchanged: the entry is stored (SQLite writes in the background). */
async function prime(call: () => Promise<unknown>, runs: () => number): Promise<void> {
  await call();
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const before = runs();
    await call();
    if (runs() === before) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('never served a hit after 100 calls');
}

async function hits(caseId: HitCaseId): Promise<HitsResult> {
  const kase = HIT_CASES[caseId];
  const args = kase.args();
  const expected = kase.result();
  const result: HitsResult = { case: caseId, argumentBytes: jsonBytes(args), resultBytes: jsonBytes(expected), contenders: {}, failed: {} };
  const ops = new Map<string, Operation>();
  const opened: Array<{ id: ContenderId; wrapped: Wrapped; runs: () => number; primedRuns: number }> = [];
  for (const id of contenderIds) {
    const contender = CONTENDERS[id];
    let runs = 0;
    const load: Fn = async function load(...args: unknown[]) {
      runs += 1;
      return kase.result();
    };
    try {
      const wrapped = await contender.wrap(load, env);
      opened.push({ id, wrapped, runs: () => runs, primedRuns: 0 });
      const call = () => wrapped.call(args);
      let copies: boolean | undefined;
      if (id !== 'sqlite-select') {
        await prime(call, () => runs);
        const [one, two] = [await call(), await call()];
        deepStrictEqual(one, expected);
        copies = one !== two;
      }
      opened.at(-1)!.primedRuns = runs;
      result.contenders[id] = { keying: contender.keying, copies, runsWhileMeasured: 0, nsPerCall: [] };
      ops.set(id, call);
    } catch (error) {
      result.failed[id] = error instanceof Error ? error.message : String(error);
    }
  }
  const measured = await interleave(ops, schedule);
  for (const { id, wrapped, runs, primedRuns } of opened) {
    const row = result.contenders[id];
    if (row) {
      row.nsPerCall = measured.get(id) ?? [];
      row.runsWhileMeasured = runs() - primedRuns;
    }
    await wrapped.close();
  }
  return result;
}

async function keys(sizes: number[]): Promise<KeysResult> {
  const { hashValue } = await import('@larder/core');
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  const result: KeysResult = { sizes: [] };
  for (const bytes of sizes) {
    const floats = floatArgument(bytes);
    const floatBytes = new Uint8Array(floats.buffer);
    const nested = nestedArgument(bytes);
    const ops = new Map<KeyOp, Operation>([
      ['float-hashValue', () => hashValue(floats)],
      ['float-sha256', () => sha256(floatBytes)],
      ['nested-hashValue', () => hashValue(nested)],
      ['nested-json', () => JSON.stringify(nested)],
    ]);
    const measured = await interleave(ops, schedule);
    result.sizes.push({
      bytes,
      floatBytes: floats.byteLength,
      nestedBytes: jsonBytes(nested),
      nsPerCall: Object.fromEntries(measured) as Record<KeyOp, number[]>,
    });
  }
  return result;
}

async function correctness(): Promise<CorrectnessResult> {
  const result: CorrectnessResult = { pairs: LOSSY_PAIRS.map((p) => p.label), contenders: {} };
  for (const id of contenderIds) {
    const contender = CONTENDERS[id];
    const outcomes: PairOutcome[] = [];
    for (const pair of LOSSY_PAIRS) {
      // A cache of its own per pair: nothing from another pair can answer.
      const wrapped = await contender.wrap(async (...args: unknown[]) => describeArguments(...args), env);
      outcomes.push(await checkPair((args) => wrapped.call(args), pair));
      await wrapped.close();
    }
    result.contenders[id] = { keying: contender.keying, outcomes };
  }
  return result;
}

const sections: Record<string, () => Promise<unknown>> = {
  hits: () => hits(values.case as HitCaseId),
  keys: () => keys(values.sizes.split(',').filter(Boolean).map(Number)),
  correctness,
};
const run = sections[values.section];
if (!run) throw new Error(`unknown --section ${values.section} (hits, keys, correctness)`);
const output = await run();
process.stdout.write(`RESULT ${JSON.stringify(output)}\n`);
// Peers may keep timers (expiry sweeps) alive; the answer is out.
process.exit(0);
