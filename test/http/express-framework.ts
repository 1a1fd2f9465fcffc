import compression from 'compression';
import type { Readable } from 'node:stream';
import { createServer } from 'node:http';
import { cached, provideLarder } from '@larder/express';
import type { Request, Response, NextFunction } from 'express';
import { MAX_HEADER_SIZE, closeServer, listen, type AppSetup, type Framework, type Io, type RunningApp } from './harness.js';

type ExpressModule = typeof import('express');

/** The Express side of the scenario suite; `express` is Express 5, `express4` Express 4. */
export function expressFramework(name: string, express: ExpressModule): Framework {
  return {
    name,
    cached,
    async start(setup: AppSetup): Promise<RunningApp> {
      const app = express();
      if (setup.trustProxy) app.set('trust proxy', true);
      for (const front of setup.front ?? []) {
        app.use((req: Request, res: Response, next: NextFunction) => {
          Promise.resolve(front({ kind: 'express', req, res })).then(() => next(), next);
        });
      }
      if (setup.compression) app.use(compression({ threshold: 0 }));
      if (setup.json) app.use(express.json());
      if (setup.session) {
        app.use((req: Request, _res: Response, next: NextFunction) => {
          const user = req.headers.session;
          (req as unknown as { session: unknown }).session = user ? { user } : {};
          (req as unknown as { cookies: unknown }).cookies = Object.fromEntries(
            String(req.headers.cookie ?? '').split(';').filter(Boolean).map((pair) => pair.trim().split('=')),
          );
          next();
        });
      }
      if (setup.provideLarder) app.use(provideLarder(...(setup.provideLarder as Parameters<typeof provideLarder>)));
      const middlewares: RunningApp['middlewares'] = [];
      if (setup.appLevelCached) {
        const mw = cached(...(setup.appLevelCached as Parameters<typeof cached>));
        middlewares.push(mw);
        app.use(mw);
      }
      const router = express.Router();
      for (const route of setup.routes) {
        const handlers: Array<(req: Request, res: Response, next: NextFunction) => unknown> = [];
        if (route.cached) {
          const mw = cached(...(route.cached as Parameters<typeof cached>));
          middlewares.push(mw);
          handlers.push(mw);
        }
        handlers.push(async (req, res, next) => {
          try {
            await route.handler(io(req, res));
          } catch (error) {
            next(error);
          }
        });
        (router[route.method ?? 'get'] as (path: unknown, ...rest: unknown[]) => void)(route.path, ...handlers);
      }
      app.use(setup.prefix ?? '/', router);
      app.use((error: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
        res.status(error.status ?? 500).send(`error: ${error.message}`);
      });
      const server = createServer({ maxHeaderSize: MAX_HEADER_SIZE }, app);
      const url = await listen(server);
      return { url, server, middlewares, errors: [], close: () => closeServer(server) };
    },
  };
}

function io(req: Request, res: Response): Io {
  return {
    native: { kind: 'express', req, res },
    params: req.params as Record<string, string>,
    query: req.query as Record<string, unknown>,
    body: req.body,
    header: (name) => req.get(name),
    session: () => (req as unknown as { session?: Record<string, unknown> }).session,
    user: () => (req as unknown as { user?: unknown }).user,
    cookie: (name) => (req as unknown as { cookies?: Record<string, string> }).cookies?.[name],
    accepts: (...types) => req.accepts(types),
    hostname: () => req.hostname,
    status: (code) => void res.status(code),
    set: (name, value) => void res.set(name, value),
    type: (mime) => void res.type(mime),
    send: (body) => {
      if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) res.json(body);
      else res.send(body);
    },
    stream: (body: Readable) => void body.pipe(res),
    locals: res.locals,
    fresh: () => req.fresh,
  };
}
