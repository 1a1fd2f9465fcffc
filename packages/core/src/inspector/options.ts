import { BadOptionError, describe } from '../errors.js';
import type { Larder } from '../larder.js';

/** Options of `larderInspector()` (`@larder/express`, `@larder/koa`). */
export interface InspectorOptions {
  /**
   * The secret that opens the inspector: sent as `Authorization: Bearer <token>`, or typed once into
   * its login form. Required. Use a long random value kept out of the code, e.g. `openssl rand -hex 32`.
   * @example larderInspector({ token: process.env.LARDER_INSPECTOR_TOKEN })
   */
  token: string;
  /**
   * The larder to show and act on.
   * @default the one `provideLarder()` installed for the request, else the default larder
   */
  larder?: Larder;
}

/** {@link InspectorOptions}, validated. */
export interface InspectorSettings {
  readonly token: string;
  readonly larder: Larder | undefined;
}

const KNOWN = new Set(['token', 'larder']);
const EXAMPLE = "larderInspector({ token: process.env.LARDER_INSPECTOR_TOKEN })";

/**
 * Validates the inspector's options once, at startup.
 * @throws BadOptionError for a missing or empty token, a larder that is not one, or an unknown option.
 */
export function inspectorSettings(options: unknown): InspectorSettings {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new BadOptionError('token', 'the inspector needs an options object with a token', EXAMPLE);
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) throw new BadOptionError(name, `unknown option (known: ${[...KNOWN].join(', ')})`, EXAMPLE);
  }
  const { token, larder } = options as Partial<InspectorOptions>;
  if (typeof token !== 'string' || token.length === 0) {
    throw new BadOptionError('token', `a non-empty string is required, got ${describe(token)} (is the environment variable set?)`, EXAMPLE);
  }
  if (larder !== undefined && (larder === null || typeof larder !== 'object' || typeof (larder as Larder).stats !== 'function')) {
    throw new BadOptionError('larder', `expected a larder from createLarder(), got ${describe(larder)}`, 'larderInspector({ token, larder })');
  }
  return { token, larder };
}
