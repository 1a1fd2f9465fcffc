import { afterEach, describe, expect, it } from 'vitest';
import { cacheData, createLarder } from '../src/index.js';

/*
 * A dependency that adds an enumerable property to Object.prototype (prototype pollution, or an old
 * polyfill) must not change what Larder stores or serves: every loop over a record reads own keys only.
 */
describe('with an enumerable property on Object.prototype', () => {
  const proto = Object.prototype as Record<string, unknown>;
  afterEach(() => {
    delete proto.polluted;
  });

  it('cacheData still hits, and its copies carry no inherited property as their own', async () => {
    const larder = createLarder();
    let runs = 0;
    const load = cacheData(function load(id: number) {
      runs++;
      return { id, nested: { rows: [1, 2, 3] } };
    }, { larder });
    Object.defineProperty(Object.prototype, 'polluted', { value: { evil: true }, enumerable: true, configurable: true, writable: true });
    const first = await load(1);
    const second = await load(1);
    const third = await load(1);
    expect(runs).toBe(1);
    for (const copy of [first, second, third]) {
      expect(Object.keys(copy)).toEqual(['id', 'nested']);
      expect(Object.hasOwn(copy.nested, 'polluted')).toBe(false);
    }
    await larder.close();
  });

  it('control: without it, the same calls hit as well', async () => {
    const larder = createLarder();
    let runs = 0;
    const load = cacheData(function load(id: number) {
      runs++;
      return { id };
    }, { larder });
    await load(1);
    await load(1);
    expect(runs).toBe(1);
    await larder.close();
  });
});
