import { describe, expect, it } from 'vitest';
import { cacheData, cacheResource, createLarder } from '../src/index.js';
import { checkPair, describeArguments, LOSSY_PAIRS, type LossyPair } from './fixtures/lossy-pairs.js';

/** Checks `pair` on a fresh cache of describeArguments made by `wrap`; also counts the function's runs. */
async function outcome(wrap: typeof cacheData | typeof cacheResource, pair: LossyPair) {
  const larder = createLarder();
  let runs = 0;
  const cached = wrap(async function describe(...args: unknown[]) {
    runs++;
    return describeArguments(...args);
  }, { larder });
  try {
    return { result: await checkPair((args) => cached(...args), pair), runs };
  } finally {
    await larder.close();
  }
}

describe('keys of cached functions, on arguments that lossy keys confuse', () => {
  for (const [name, wrap] of [['cacheData', cacheData], ['cacheResource', cacheResource]] as const) {
    describe(name, () => {
      for (const pair of LOSSY_PAIRS) {
        it(`keys ${pair.label} apart`, async () => {
          expect(await outcome(wrap, pair)).toEqual({ result: 'right', runs: 2 });
        });

        it(`serves a repeat of the first of ${pair.label} from the cache (positive control)`, async () => {
          expect(await outcome(wrap, { ...pair, second: pair.first })).toEqual({ result: 'right', runs: 1 });
        });
      }
    });
  }

  it('finds the pairs a cache keyed by JSON.stringify confuses (positive control of the check)', async () => {
    const outcomes = await Promise.all(
      LOSSY_PAIRS.map((pair) => {
        const byJson = new Map<string, unknown>();
        return checkPair(async (args) => {
          const key = JSON.stringify(args);
          if (!byJson.has(key)) byJson.set(key, describeArguments(...args));
          return byJson.get(key);
        }, pair);
      }),
    );
    expect(outcomes.filter((o) => o === 'wrong')).toHaveLength(9);
    expect(outcomes.filter((o) => o === 'throws')).toHaveLength(1);
  });
});
