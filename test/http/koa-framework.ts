import compress from 'koa-compress';
import type { Readable } from 'node:stream';
import { createServer } from 'node:http';
import Router from '@koa/router';
import { cached, provideLarder } from '@larder/koa';
import type { Context, Middleware, Next } from 'koa';
import { MAX_HEADER_SIZE, closeServer, listen, type AppSetup, type Framework, type Io, type RunningApp } from './harness.js';

type KoaClass = typeof import('koa');
type Session = { session?: Record<string, unknown> };

/** The Koa side of the scenario suite: Koa with @koa/router, the idioms the Express harness mirrors. */
export function koaFramework(name: string, Koa: KoaClass): Framework {
  return {
    name,
    cached,
    async start(setup: AppSetup): Promise<RunningApp> {
      const app = new Koa();
      const errors: Error[] = [];
      app.on('error', (error: Error) => errors.push(error));
      if (setup.trustProxy) app.proxy = true;
      // Mirrors the Express error handler: `error: <message>` with the error's status.
      app.use(async (ctx: Context, next: Next) => {
        try {
          await next();
        } catch (error) {
          const { status, message } = error as Error & { status?: number };
          ctx.status = status ?? 500;
          ctx.body = `error: ${message}`;
        }
      });
      for (const front of setup.front ?? []) {
        app.use(async (ctx: Context, next: Next) => {
          await front({ kind: 'koa', ctx });
          await next();
        });
      }
      if (setup.compression) app.use(compress({ threshold: 0 }));
      if (setup.json) app.use(jsonBody);
      if (setup.session) {
        app.use(async (ctx: Context, next: Next) => {
          const user = ctx.get('session');
          (ctx as Context & Session).session = user ? { user } : {};
          await next();
        });
      }
      if (setup.provideLarder) app.use(provideLarder(...(setup.provideLarder as Parameters<typeof provideLarder>)));
      const middlewares: RunningApp['middlewares'] = [];
      if (setup.appLevelCached) {
        const mw = cached(...(setup.appLevelCached as Parameters<typeof cached>));
        middlewares.push(mw);
        app.use(mw);
      }
      const router = new Router(setup.prefix ? { prefix: setup.prefix } : {});
      for (const route of setup.routes) {
        const handlers: Middleware[] = [];
        if (route.cached) {
          const mw = cached(...(route.cached as Parameters<typeof cached>));
          middlewares.push(mw);
          handlers.push(mw);
        }
        handlers.push(async (ctx: Context) => {
          await route.handler(io(ctx));
        });
        (router[route.method ?? 'get'] as (path: unknown, ...rest: unknown[]) => void).call(router, route.path, ...handlers);
      }
      app.use(router.routes());
      const server = createServer({ maxHeaderSize: MAX_HEADER_SIZE }, app.callback());
      const url = await listen(server);
      return { url, server, middlewares, errors, close: () => closeServer(server) };
    },
  };
}

/** A minimal JSON body parser (koa-bodyparser's job): `ctx.request.body` for JSON requests. */
async function jsonBody(ctx: Context, next: Next): Promise<void> {
  if (ctx.is('application/json')) {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    (ctx.request as Context['request'] & { body?: unknown }).body = text ? JSON.parse(text) : undefined;
  }
  await next();
}

function io(ctx: Context): Io {
  return {
    native: { kind: 'koa', ctx },
    params: (ctx as Context & { params: Record<string, string> }).params,
    query: ctx.query as Record<string, unknown>,
    body: (ctx.request as Context['request'] & { body?: unknown }).body,
    header: (name) => ctx.get(name) || undefined,
    session: () => (ctx as Context & Session).session,
    user: () => (ctx.state as { user?: unknown }).user,
    cookie: (name) => ctx.cookies.get(name),
    accepts: (...types) => ctx.accepts(...types) as string | false,
    hostname: () => ctx.hostname,
    status: (code) => void (ctx.status = code),
    set: (name, value) => void ctx.set(name, value),
    type: (mime) => void (ctx.type = mime),
    send: (body) => void (ctx.body = body),
    stream: (body: Readable) => void (ctx.body = body),
    locals: ctx.state as Record<string, unknown>,
    fresh: () => ctx.fresh,
  };
}
