/**
 * Helpers of the guide's programs: run `main` only when the file is run directly
 * (`node --import tsx examples/streamlit-guide/<file>.ts`), not when guide.test.ts imports it.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultLarder, type Larder } from '@larder/core';

export async function runIfMain(moduleUrl: string, main: () => Promise<void>, ...larders: Larder[]): Promise<void> {
  const script = process.argv[1];
  if (script === undefined || pathToFileURL(resolve(script)).href !== moduleUrl) return;
  try {
    await main();
  } finally {
    // Stores may hold timers or connections (SQLite, Redis): close them so the process exits.
    for (const larder of [...larders, defaultLarder()]) await larder.close();
  }
}

/** Runs `fn` and prints how long it took, like Streamlit's spinner with `show_time=True`. */
export async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  console.log(`${label}: ${(performance.now() - started).toFixed(1)} ms`);
  return result;
}

/** A clock the programs can move forward, so a TTL demo need not wait. Apps leave `clock` out. */
export function manualClock(start = Date.now()) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number): void {
      now += ms;
    },
  };
}
