// Timing inside one process: batches of calls timed with the monotonic clock, contenders interleaved
// round by round (the starting one rotating), as the HTTP scenarios do with whole servers.
import { median, rotate } from '../lib/stats.ts';

/** How long each measurement runs. */
export interface Schedule {
  rounds: number;
  /** Milliseconds of calls per (contender, round); the value of a round is its median batch. */
  sampleMs: number;
  /** Unrecorded milliseconds of calls per contender before round 1 (compilation, caches). */
  warmupMs: number;
}

/** A contender's operation: one call, awaited when it returns a promise. */
export type Operation = () => unknown;

const now = () => performance.now();

/** Runs `op` `n` times back to back; returns the milliseconds taken. */
async function batch(op: Operation, n: number, awaits: boolean): Promise<number> {
  const start = now();
  if (awaits) for (let i = 0; i < n; i += 1) await op();
  else for (let i = 0; i < n; i += 1) op();
  return now() - start;
}

/** Calls per batch: doubled until a batch takes a fifth of a sample (so a sample holds about five). */
async function calibrate(op: Operation, sampleMs: number, awaits: boolean): Promise<number> {
  let n = 1;
  for (;;) {
    const ms = await batch(op, n, awaits);
    if (ms >= sampleMs / 5 || n >= 1 << 24) return n;
    n *= 2;
  }
}

/**
 * Measures each operation in every round, in rotating order; returns, per operation, the nanoseconds
 * per call of each round (the median of that round's batches).
 */
export async function interleave(ops: ReadonlyMap<string, Operation>, schedule: Schedule): Promise<Map<string, number[]>> {
  const ids = [...ops.keys()];
  const awaits = new Map<string, boolean>();
  const sizes = new Map<string, number>();
  for (const id of ids) {
    const op = ops.get(id)!;
    const first = op();
    awaits.set(id, first instanceof Promise);
    await first;
    const n = await calibrate(op, schedule.sampleMs, awaits.get(id)!);
    const start = now();
    while (now() - start < schedule.warmupMs) await batch(op, n, awaits.get(id)!);
    sizes.set(id, n);
  }
  const perRound = new Map<string, number[]>(ids.map((id) => [id, []]));
  for (let round = 0; round < schedule.rounds; round += 1) {
    for (const id of rotate(ids, round)) {
      const op = ops.get(id)!;
      const n = sizes.get(id)!;
      const batches: number[] = [];
      const start = now();
      do batches.push(((await batch(op, n, awaits.get(id)!)) * 1e6) / n);
      while (now() - start < schedule.sampleMs);
      perRound.get(id)!.push(median(batches));
    }
  }
  return perRound;
}
