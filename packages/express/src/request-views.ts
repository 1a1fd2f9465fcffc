import { undoAll, watchBag, watchGetters, watchIncoming, watchOwnState, type InputGuard, type PropertyWatch } from '@larder/core/adapter';
import type { Request, Response } from 'express';

/** Per-user state watched whether or not middleware in front set it (passport, express-jwt, cookie-parser, sessions). */
const PER_USER_STATE = ['cookies', 'signedCookies', 'session', 'user', 'auth'];
/**
 * Express's getters over the client: `ip`/`ips` are the client's address (or X-Forwarded-For). The
 * others read `X-Forwarded-*` (recorded as headers) and look at the client's address only to decide
 * whether to trust them.
 */
const GETTERS: Readonly<Record<string, PropertyWatch>> = {
  ip: { input: 'ip', kind: 'client' },
  ips: { input: 'ip', kind: 'client' },
  protocol: { quiet: ['ip'] },
  secure: { quiet: ['ip'] },
  hostname: { quiet: ['ip'] },
  host: { quiet: ['ip'] },
  subdomains: { quiet: ['ip'] },
};
/** What Express (and provideLarder, and request loggers) put on `req`: not per-request state. */
const EXPRESS_OWN: ReadonlySet<string> = new Set(['res', 'next', 'baseUrl', 'originalUrl', 'params', 'query', 'route', 'body', 'larder', 'resources', 'log', ...Object.keys(GETTERS)]);

/** Points the guard at everything a handler can read per request; returns the undo. */
export function watchRequest(req: Request, res: Response, guard: InputGuard): () => void {
  return undoAll([
    // First, before anything below turns properties into accessors: what middleware in front attached.
    watchOwnState(guard, req, { baseline: EXPRESS_OWN, always: PER_USER_STATE }),
    watchIncoming(guard, req),
    watchGetters(guard, req, GETTERS),
    watchBag(guard, res, 'locals', { prefix: 'locals', always: ['user'] }),
  ]);
}

