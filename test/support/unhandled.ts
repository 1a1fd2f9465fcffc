/**
 * Setup file of every test file: a promise rejected with nobody to handle it fails the test during
 * which it surfaced, with the reason, instead of only a line in the run's summary. Larder promises
 * that no store failure, listener or background refresh ever leaves one.
 */
import { afterEach } from 'vitest';

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => {
  unhandled.push(reason);
});

afterEach(() => {
  if (unhandled.length === 0) return;
  const reasons = unhandled.splice(0).map((reason) => (reason instanceof Error ? reason.stack ?? reason.message : String(reason)));
  throw new Error(`A promise was rejected and never handled during this test:\n${reasons.join('\n')}`);
});
