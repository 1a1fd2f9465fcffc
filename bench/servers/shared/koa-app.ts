import Koa from 'koa';
import type { Context } from 'koa';
import { JSON_TYPE, type RouteState } from './routes.ts';

export type KoaHandler = (ctx: Context) => void | Promise<void>;

export interface KoaHandlers {
  /**
   * The floor a cached route is held to: a route handler that sets `ctx.body` to the pre-serialized
   * Buffer, so Koa still responds (and middleware in front, such as koa-compress, still sees the body).
   */
  floor: KoaHandler;
  /** Reference only: writes the bytes with writeHead/end and `ctx.respond = false`, bypassing Koa's respond(). */
  raw: KoaHandler;
  /** The idiomatic uncached handler: `ctx.body = obj`. */
  data: KoaHandler;
  slow: KoaHandler;
  big: KoaHandler;
  count: KoaHandler;
}

export function createKoaApp(): Koa {
  return new Koa();
}

/** The same handler functions for every Koa contender, so only the middleware in front differs. */
export function koaHandlers(state: RouteState): KoaHandlers {
  return {
    floor: function floor(ctx) {
      state.counts.data += 1;
      ctx.type = JSON_TYPE;
      ctx.body = state.body;
    },
    raw: function raw(ctx) {
      state.counts.data += 1;
      ctx.respond = false;
      ctx.res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': state.body.length });
      ctx.res.end(state.body);
    },
    data: function data(ctx) {
      state.counts.data += 1;
      ctx.body = state.doc;
    },
    slow: async function slow(ctx) {
      state.counts.slow += 1;
      ctx.body = await state.slow();
    },
    big: function big(ctx) {
      state.counts.big += 1;
      ctx.body = state.big();
    },
    count: function count(ctx) {
      ctx.body = state.counts;
    },
  };
}
