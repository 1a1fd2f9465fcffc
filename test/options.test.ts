/**
 * Every options object of Larder is strict: an unknown option throws BadOptionError naming it, at the
 * call that receives it, and Streamlit's spellings are answered with the Larder equivalent (or why
 * there is none). One table of factories, one of Streamlit's names.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BadOptionError, cacheData, cacheResource, configure, createLarder, defaultLarder, type Larder } from '@larder/core';
import { cached as expressCached, provideLarder as expressProvide } from '@larder/express';
import { cached as koaCached, provideLarder as koaProvide } from '@larder/koa';

const larders: Larder[] = [];
afterAll(async () => {
  await Promise.all([...larders, defaultLarder()].map((larder) => larder.close()));
});

/** Each place that takes an options object, called with `options`. */
const factories: Array<[name: string, call: (options: object) => unknown]> = [
  ['createLarder', (options) => larders.push(createLarder(options))],
  ['configure', (options) => configure(options)],
  ['cacheData', (options) => cacheData(async function load(id: number) { return id; }, options)],
  ['cacheResource', (options) => cacheResource(async function client() { return {}; }, options)],
  ['resources.register', (options) => defaultLarder().resources.register(`r${Math.random()}`, () => ({}), options)],
  ['cached (Express)', (options) => expressCached(options)],
  ['cached (Koa)', (options) => koaCached(options)],
  ['provideLarder (Express)', (options) => expressProvide(options)],
  ['provideLarder (Koa)', (options) => koaProvide(options)],
];

function rejection(call: () => unknown): BadOptionError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(BadOptionError);
    return error as BadOptionError;
  }
  throw new Error('expected a BadOptionError, nothing was thrown');
}

describe.each(factories)('%s', (name, call) => {
  it('rejects an unknown option, naming it and the options it knows', () => {
    const error = rejection(() => call({ colour: 'red' }));
    expect(error.code).toBe('ERR_LARDER_BAD_OPTION');
    expect(error.message).toContain("'colour'");
    expect(error.message).toMatch(/its options are \w+/);
  });

  it('suggests the option a near miss meant', () => {
    const [option, near] = name.startsWith('provideLarder') ? ['Larder', 'larder'] : /Larder|configure/.test(name) ? ['STORE', 'store'] : ['T-T-L', 'ttl'];
    expect(rejection(() => call({ [option]: 1 })).message).toContain(`did you mean '${near}'?`);
  });

  it('rejects something that is not an options object', () => {
    expect(rejection(() => call(new Map() as unknown as object)).message).toContain('expects an options object, got Map');
  });
});

describe('the options object of provideLarder()', () => {
  it('accepts a larder, as before, and { larder, invalidateOnWrite }', () => {
    const larder = createLarder();
    larders.push(larder);
    for (const provide of [expressProvide, koaProvide]) {
      expect(typeof provide(larder)).toBe('function');
      expect(typeof provide({ larder, invalidateOnWrite: false })).toBe('function');
      expect(typeof provide()).toBe('function');
    }
  });

  it('checks the type of each option', () => {
    expect(rejection(() => expressProvide({ invalidateOnWrite: 'no' as unknown as boolean })).message).toContain("'invalidateOnWrite'");
    expect(rejection(() => koaProvide({ larder: {} as Larder })).message).toContain("'larder'");
  });
});

describe("Streamlit's option names", () => {
  /** Streamlit's name, where it is given, and what the message must name. */
  const cases: Array<[streamlit: string, factory: string, answer: RegExp]> = [
    ['max_entries', 'cacheData', /maxEntries/],
    ['max_entries', 'cacheResource', /maxEntries/],
    ['max_entries', 'cached (Express)', /createLarder\(\{ maxEntries/],
    ['hash_funcs', 'cacheData', /hashFuncs/],
    ['hash_funcs', 'cacheResource', /hashFuncs/],
    ['hash_funcs', 'cached (Koa)', /hashFuncs/],
    ['persist', 'cacheData', /store: 'sqlite:\/\//],
    ['persist', 'createLarder', /store: 'sqlite:\/\//],
    ['persist', 'configure', /store: 'sqlite:\/\//],
    ['show_spinner', 'cacheData', /no equivalent.*'miss'/],
    ['show_spinner', 'cacheResource', /no equivalent/],
    ['show_time', 'cacheData', /durationMs/],
    ['scope', 'cacheData', /no sessions.*argument/],
    ['scope', 'cacheResource', /app-wide/],
    ['experimental_allow_widgets', 'cacheData', /no widgets.*argument/],
    ['validate', 'cacheData', /cacheResource\(fn, \{ validate \}\)/],
    ['validate', 'cached (Express)', /cacheResource\(fn, \{ validate \}\)/],
    ['on_release', 'cacheResource', /onRelease/],
    ['on_release', 'resources.register', /dispose/],
    ['on_release', 'cacheData', /cacheResource\(fn, \{ onRelease \}\)/],
    ['allow_output_mutation', 'cacheData', /cacheResource returns the same object/],
    ['suppress_st_warning', 'cacheData', /can be deleted/],
    ['func', 'cacheData', /first argument/],
  ];

  it.each(cases)('%s, given to %s, is answered with its Larder equivalent', (streamlit, factory, answer) => {
    const call = factories.find(([name]) => name === factory)![1];
    const error = rejection(() => call({ [streamlit]: 1 }));
    expect(error.message).toContain(`'${streamlit}'`);
    expect(error.message).toMatch(answer);
  });

  it("answers the resource registry's and cacheResource's names for each other", () => {
    expect(rejection(() => cacheResource(async () => ({}), { dispose: () => {} } as object)).message).toContain('onRelease');
    expect(rejection(() => defaultLarder().resources.register('x', () => ({}), { onRelease: () => {} } as object)).message).toContain('dispose');
  });
});

describe('the flags of cached()', () => {
  const flags = ['shareAuthenticated', 'debugHeaders', 'invalidateOnWrite'] as const;
  for (const cached of [expressCached, koaCached]) {
    it.each(flags)('%s takes true or false, and rejects anything else naming it', (flag) => {
      expect(typeof cached({ [flag]: true })).toBe('function');
      expect(typeof cached({ [flag]: false })).toBe('function');
      // 'yes' must not silently mean false (nor 'false' true): the option is named.
      expect(rejection(() => cached({ [flag]: 'yes' } as object)).message).toContain(`'${flag}'`);
      expect(rejection(() => cached({ [flag]: 1 } as object)).message).toContain(`'${flag}'`);
    });
  }
});
