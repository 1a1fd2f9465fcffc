/**
 * One scenario suite, several frameworks. A scenario declares routes with framework-neutral
 * handlers (an `Io` facade that reads and answers in each framework's own idiom, so the guard
 * sees real framework reads) and talks HTTP to a real server over loopback.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Readable } from 'node:stream';
import type { CachedOptions, Larder } from '@larder/core';

/** The framework's own request objects, for handlers and middleware that must read them natively. */
export type Native =
  | { kind: 'express'; req: import('express').Request; res: import('express').Response }
  | { kind: 'koa'; ctx: import('koa').Context };

/** What a handler can do, written once and translated by each framework. */
export interface Io {
  /** The framework's objects (`req`/`res` or `ctx`): every way a real handler can read the request. */
  native: Native;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  /** Reads a request header the idiomatic way (`req.get` / `ctx.get`). */
  header(name: string): string | undefined;
  /** Reads per-user state: `req.session` / `ctx.session`. */
  session(): Record<string, unknown> | undefined;
  /** Reads `req.user` / `ctx.state.user`. */
  user(): unknown;
  /** Reads cookies: `req.cookies` / `ctx.cookies.get`. */
  cookie(name: string): string | undefined;
  /** Content negotiation: `req.accepts` / `ctx.accepts`. */
  accepts(...types: string[]): string | false;
  /** The host as the framework computes it (`req.hostname` / `ctx.hostname`; trusts X-Forwarded-Host when the proxy is trusted). */
  hostname(): string;
  status(code: number): void;
  set(name: string, value: string | string[]): void;
  type(mime: string): void;
  /** Answers with a string, Buffer or JSON value. */
  send(body: string | Buffer | object | null): void;
  /** Answers with a stream (piped in Express, ctx.body in Koa). */
  stream(body: Readable): void;
  /** Passes control on (`next()` / `await next()`), used by a route that calls next('route'). */
  locals: Record<string, unknown>;
  /** Whether the request's validators match the response's (`req.fresh` / `ctx.fresh`): a handler answers 304 then. */
  fresh(): boolean;
}

export type Handler = (io: Io) => unknown;

export interface RouteSpec {
  method?: 'get' | 'post' | 'head' | 'put' | 'patch' | 'delete';
  /** A pattern, several (Express and @koa/router accept arrays) or a regular expression. */
  path: string | string[] | RegExp;
  /** Arguments of `cached()`; omit for an uncached route. */
  cached?: [ttlOrOptions?: unknown, options?: unknown];
  handler: Handler;
}

export interface AppSetup {
  routes: RouteSpec[];
  /** Mount the routes under this prefix (Express router / Koa router prefix). */
  prefix?: string;
  /** Trust X-Forwarded-* (Express 'trust proxy', Koa app.proxy). */
  trustProxy?: boolean;
  /** Put compression middleware in front of the routes. */
  compression?: boolean;
  /** A fake session middleware: `session` header → req.session / ctx.session = { user }. */
  session?: boolean;
  /** Parse JSON bodies before the routes. */
  json?: boolean;
  /** `app.use(provideLarder(...))` in front of everything, with these arguments. */
  provideLarder?: [larderOrOptions?: unknown];
  /** `app.use(cached(...))` in front of every route instead of per route. */
  appLevelCached?: [ttlOrOptions?: unknown, options?: unknown];
  /** Middleware in front of everything else (a logger, an authentication step), written natively. */
  front?: Array<(native: Native) => void | Promise<void>>;
}

export interface RunningApp {
  url: string;
  server: Server;
  close(): Promise<void>;
  /** The middlewares created for the routes, in route order (for `clear()`). */
  middlewares: Array<{ clear(): Promise<void> }>;
  /** Errors the framework reported on its own channel: Koa's app `error` event (which Koa prints when nobody listens). */
  errors: Error[];
}

export interface Framework {
  name: string;
  /** The framework's `cached()` (for construction-time checks). */
  cached: (...args: any[]) => unknown;
  start(setup: AppSetup): Promise<RunningApp>;
}

/** Servers in the suite accept long URLs (the 10,000-parameter scenario) like a proxy-fronted app would. */
export const MAX_HEADER_SIZE = 512 * 1024;

export function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** Options with the given larder, for `cached()` argument lists. */
export function withLarder(larder: Larder, args: [unknown?, unknown?] = []): [unknown, unknown?] {
  const [first, second] = args;
  if (typeof first === 'object' && first !== null) return [{ ...(first as CachedOptions), larder }];
  return [first, { ...(second as CachedOptions | undefined), larder }];
}

export { deferred } from '../support/async.js';
