import type { Larder } from '@larder/core';
import { claimWrite, invalidateWrite, isWrite } from '@larder/core/adapter';
import type { Context, Next } from 'koa';

/**
 * After a write (POST, PUT, DELETE, …) succeeds, drops the stored responses of its path and Location
 * (core/http/write-invalidation.ts), before Koa sends the response, so that a client which saw its write
 * answered never reads the old response again. `enabled: false` claims the write and does nothing.
 */
export function invalidateOnWrite(ctx: Context, next: Next, larder: Larder, enabled = true): Promise<void> {
  if (!isWrite(ctx.method) || !claimWrite(ctx) || !enabled) return next();
  return next().then(() =>
    invalidateWrite(larder, ctx, {
      method: ctx.method,
      host: ctx.req.headers.host,
      url: ctx.originalUrl,
      status: ctx.status,
      location: ctx.response.get('location') || undefined,
      contentLocation: ctx.response.get('content-location') || undefined,
    }),
  );
}
