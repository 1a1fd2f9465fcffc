import { BadOptionError } from '../errors.js';
import { Larder } from '../larder.js';

/** Options of `provideLarder()` (Express and Koa alike). */
export interface ProvideLarderOptions {
  /** The larder installed on every request (`req.larder` / `ctx.larder`). @default the default larder */
  larder?: Larder;
  /**
   * After a non-error response to POST, PUT, PATCH, DELETE (any method not known to be safe), drop the
   * stored responses of its path and of its same-origin `Location`/`Content-Location`, in every process
   * sharing the store (RFC 9111 §4.4). `false` turns this off for the whole app.
   * @default true
   */
  invalidateOnWrite?: boolean;
}

const KNOWN = new Set(['larder', 'invalidateOnWrite']);

/** `provideLarder(larder)` or `provideLarder({ larder, invalidateOnWrite })`, validated once. */
export function normalizeProvideOptions(input: unknown): { larder: Larder | undefined; invalidateOnWrite: boolean } {
  if (input === undefined) return { larder: undefined, invalidateOnWrite: true };
  if (input instanceof Larder) return { larder: input, invalidateOnWrite: true };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new BadOptionError('options', 'expected a larder or an options object', 'provideLarder({ larder, invalidateOnWrite: false })');
  }
  const options = input as ProvideLarderOptions;
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) throw new BadOptionError(name, 'unknown option', `provideLarder({ larder, invalidateOnWrite: false }) — known options: ${[...KNOWN].join(', ')}`);
  }
  if (options.larder !== undefined && !(options.larder instanceof Larder)) {
    throw new BadOptionError('larder', 'expected a larder from createLarder()', 'provideLarder({ larder: createLarder() })');
  }
  if (options.invalidateOnWrite !== undefined && typeof options.invalidateOnWrite !== 'boolean') {
    throw new BadOptionError('invalidateOnWrite', `expected true or false, got ${String(options.invalidateOnWrite)}`, 'provideLarder({ invalidateOnWrite: false })');
  }
  return { larder: options.larder, invalidateOnWrite: options.invalidateOnWrite ?? true };
}
