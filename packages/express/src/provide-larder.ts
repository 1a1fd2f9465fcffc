import { defaultLarder, type Larder, type ProvideLarderOptions, type ResourceRegistry } from '@larder/core';
import { provideSettings } from '@larder/core/adapter';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { invalidateOnWrite } from './invalidate-on-write.js';

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
 * `req.resources.get('db')`, `req.larder.stats()`. Also sets `app.locals.larder`. And, unless
 * `invalidateOnWrite: false`, a successful POST, PUT, PATCH or DELETE drops the stored responses of its
 * path and of its same-origin `Location`/`Content-Location`, in every process sharing the store.
 * Takes a larder, or options (`{ larder, invalidateOnWrite }`); unknown options throw `BadOptionError`.
 * @example
 * app.use(provideLarder(larder));
 * app.use(provideLarder({ larder, invalidateOnWrite: false }));
 * app.get('/users', async (req, res) => res.json(await (await req.resources.get('db')).query('…')));
 */
export function provideLarder(larderOrOptions?: Larder | ProvideLarderOptions): RequestHandler {
  const { larder, invalidateOnWrite: invalidate } = provideSettings(larderOrOptions);
  return function provideLarder(req: Request, res: Response, next: NextFunction): void {
    const instance = larder ?? defaultLarder();
    req.larder = instance;
    req.resources = instance.resources;
    if (req.app && req.app.locals.larder === undefined) req.app.locals.larder = instance;
    invalidateOnWrite(req, res, instance, invalidate);
    next();
  };
}
