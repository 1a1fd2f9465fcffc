import { defaultLarder, type Larder, type ProvideLarderOptions, type ResourceRegistry } from '@larder/core';
import { provideSettings } from '@larder/core/adapter';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

declare module 'express-serve-static-core' {
  interface Request {
    /** The larder installed by `provideLarder()`. */
    larder: Larder;
    /** Its resource registry: `await req.resources.get('db')`. */
    resources: ResourceRegistry;
  }
}

/**
 * Makes a larder and its resource registry reachable from every handler, in Express's idiom:
 * `req.resources.get('db')`, `req.larder.stats()`. Also sets `app.locals.larder`.
 * Takes a larder, or options (`{ larder, invalidateOnWrite }`); unknown options throw `BadOptionError`.
 * @example
 * app.use(provideLarder(larder));
 * app.get('/users', async (req, res) => res.json(await (await req.resources.get('db')).query('…')));
 */
export function provideLarder(larderOrOptions?: Larder | ProvideLarderOptions): RequestHandler {
  // invalidateOnWrite is validated here and read by the write-invalidation behaviour.
  const { larder } = provideSettings(larderOrOptions);
  return function provideLarder(req: Request, _res: Response, next: NextFunction): void {
    const instance = larder ?? defaultLarder();
    req.larder = instance;
    req.resources = instance.resources;
    if (req.app && req.app.locals.larder === undefined) req.app.locals.larder = instance;
    next();
  };
}
