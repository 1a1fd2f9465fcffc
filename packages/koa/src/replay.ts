import type { ReplayPlan } from '@larder/core/adapter';
import type { Context } from 'koa';

/** Writes a stored response. Headers go first, so the body setter keeps the stored Content-Type. */
export function send(ctx: Context, plan: ReplayPlan): void {
  ctx.status = plan.status;
  const { res } = ctx;
  const headers = plan.headers;
  const body = plan.body;
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    // With a body, Koa's body setter writes Content-Length itself.
    if (body === undefined || name !== 'Content-Length') res.setHeader(name, value);
  }
  if (body === undefined) return;
  const typed = res.hasHeader('Content-Type');
  ctx.body = body;
  if (!typed) ctx.remove('Content-Type');
}
