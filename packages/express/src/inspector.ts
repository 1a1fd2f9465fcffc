import type { InspectorOptions } from '@larder/core';
import { Inspector, readForm } from '@larder/core/adapter';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * The Larder inspector for Express: a page with every cached route and function (hits, misses,
 * hit rate, entries, recent reasons, clear and invalidate buttons), `stats.json` and Prometheus
 * `metrics`, served below wherever it is mounted and closed without the token.
 * @example
 * app.use('/_larder', larderInspector({ token: process.env.LARDER_INSPECTOR_TOKEN! }));
 * // GET /_larder/  ·  GET /_larder/stats.json  ·  GET /_larder/metrics (Authorization: Bearer <token>)
 * @throws BadOptionError without a token, or with an unknown option.
 */
export function larderInspector(options: InspectorOptions): RequestHandler {
  const inspector = new Inspector(options);
  return function larderInspector(req: Request, res: Response, next: NextFunction): void {
    const search = req.originalUrl.indexOf('?');
    inspector
      .handle({
        method: req.method,
        path: req.path,
        search: search === -1 ? '' : req.originalUrl.slice(search + 1),
        mount: req.baseUrl,
        header: (name) => req.get(name),
        secure: req.secure,
        form: () => readForm(req, req.body),
        larder: req.larder,
      })
      .then(({ status, headers, body }) => {
        res.writeHead(status, headers);
        res.end(body);
      }, next);
  };
}
