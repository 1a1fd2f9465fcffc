import type { Readable } from 'node:stream';
import { responseHeaders, type Capture, type ReplayPlan } from '@larder/core/adapter';
import type { Context, Next } from 'koa';
import { EMPTY, isWebBody, settleBody, tee } from './body.js';
import { send } from './replay.js';
import { watchRequest } from './request-views.js';

/**
 * Runs the handler on what the key holds while the guard watches its reads, then copies the response
 * Koa is about to send. A HEAD miss runs as GET, so the waiting requests and the store get the body;
 * Koa and Node still send none to a HEAD client.
 */
export async function capture(ctx: Context, next: Next, capture: Capture): Promise<void> {
  const head = ctx.method === 'HEAD';
  if (head) ctx.method = 'GET';
  const asHead = () => {
    if (head && ctx.method === 'GET') ctx.method = 'HEAD';
  };
  const before = { ...ctx.response.headers };
  capture.baseline(Object.entries(before).map(([name, value]) => [name, Array.isArray(value) ? value : String(value)] as const));
  /** staleIfError: the stale response replaces the handler's answer, keeping only what middleware before cached() set. */
  const sendStale = (plan: ReplayPlan) => {
    for (const name of ctx.res.getHeaderNames()) if (!(name in before)) ctx.res.removeHeader(name);
    send(ctx, plan);
    capture.finish({});
  };
  const unwatch = watchRequest(ctx, capture);
  try {
    await next();
  } catch (error) {
    unwatch();
    asHead();
    // A thrown 4xx (ctx.throw(404)) is an answer, not a failure: only 5xx may be replaced by a stale copy.
    const stale = statusOf(error) >= 500 ? capture.failed() : undefined;
    if (stale) return sendStale(stale);
    capture.finish({ error });
    throw error;
  }
  unwatch();
  if (ctx.respond === false) {
    asHead();
    return capture.finish({ incomplete: true }); // the handler wrote to ctx.res itself
  }
  try {
    settleBody(ctx);
  } catch (error) {
    asHead();
    // Koa's own JSON.stringify would throw the same error in respond(): let it, unchanged.
    return capture.finish({ error });
  }
  const verdict = capture.head(ctx.status, responseHeaders(ctx.res));
  if ('replace' in verdict) {
    asHead();
    return sendStale(verdict.replace);
  }
  for (const [name, value] of verdict.add) ctx.set(name, value);
  const body: unknown = ctx.body;
  if (!ctx.writable) {
    asHead();
    return capture.finish({ aborted: true });
  }
  if (EMPTY.has(ctx.status)) {
    asHead();
    return capture.complete();
  }
  // Without a body, Koa's respond() or a middleware before cached() (a 404 page, koa-static's defer) writes one later.
  if (body === null || body === undefined || isWebBody(body)) {
    asHead();
    return capture.finish({ incomplete: true });
  }
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    capture.chunk(Buffer.isBuffer(body) ? body : Buffer.from(body));
    asHead();
    return capture.complete();
  }
  // A stream must flow through the copy to its end: for a HEAD client Koa would not pipe it, so the
  // request stays GET until the response is over (Node sends no body to a HEAD request anyway).
  ctx.res.once('close', asHead);
  tee(ctx, body as Readable, capture);
}

function statusOf(error: unknown): number {
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : 500;
}
