import { BadOptionError } from '../errors.js';
import type { Larder } from '../larder.js';
import { checkOptions } from '../options.js';

/** Options of `provideLarder()` (Express and Koa alike). */
export interface ProvideLarderOptions {
  /** The larder handlers reach (`req.larder`, `ctx.larder`) and `cached()` uses when it names none. @default the default larder */
  larder?: Larder;
  /**
   * Whether a non-error response to POST, PUT, PATCH or DELETE invalidates the stored responses for
   * that path in every instance sharing the store. @default true
   */
  invalidateOnWrite?: boolean;
}

/** {@link ProvideLarderOptions} validated: what an adapter's `provideLarder()` runs with. */
export interface ProvideSettings {
  /** Undefined: the default larder, looked up on each request (configure() may replace it). */
  readonly larder: Larder | undefined;
  readonly invalidateOnWrite: boolean;
}

const PROVIDE_OPTIONS = ['larder', 'invalidateOnWrite'] as const satisfies ReadonlyArray<keyof ProvideLarderOptions>;
const EXAMPLE = 'provideLarder({ larder, invalidateOnWrite: false })';

/**
 * Reads the argument of `provideLarder()`: nothing, a larder (the first form, kept), or an options object.
 * @throws BadOptionError for an unknown option or a value of the wrong type.
 */
export function provideSettings(input: Larder | ProvideLarderOptions | undefined): ProvideSettings {
  if (isLarder(input)) return { larder: input, invalidateOnWrite: true };
  const options = checkOptions(input as ProvideLarderOptions | undefined, { factory: 'provideLarder', known: PROVIDE_OPTIONS, example: EXAMPLE });
  if (options.larder !== undefined && !isLarder(options.larder)) {
    throw new BadOptionError('larder', 'expected a larder from createLarder()', EXAMPLE);
  }
  if (options.invalidateOnWrite !== undefined && typeof options.invalidateOnWrite !== 'boolean') {
    throw new BadOptionError('invalidateOnWrite', `expected true or false, got ${typeof options.invalidateOnWrite}`, EXAMPLE);
  }
  return { larder: options.larder, invalidateOnWrite: options.invalidateOnWrite ?? true };
}

/** A larder, also one from another copy of this package (duck-typed, as cached() checks it). */
function isLarder(value: unknown): value is Larder {
  return typeof value === 'object' && value !== null && typeof (value as Larder).space === 'function' && typeof (value as Larder).read === 'function';
}
