import type { InspectorOptions } from '@larder/core';
import { Inspector, readForm } from '@larder/core/adapter';
import type { Middleware } from 'koa';

/**
 * The Larder inspector for Koa: a page with every cached route and function (hits, misses, hit
 * rate, entries, recent reasons, clear and invalidate buttons), `stats.json` and Prometheus
 * `metrics`, served below wherever `koa-mount` puts it and closed without the token.
 * @example
 * app.use(mount('/_larder', larderInspector({ token: process.env.LARDER_INSPECTOR_TOKEN! })));
 * @throws BadOptionError without a token, or with an unknown option.
 */
export function larderInspector(options: InspectorOptions): Middleware {
  const inspector = new Inspector(options);
  return async function larderInspector(ctx) {
    const { status, headers, body } = await inspector.handle({
      method: ctx.method,
      path: ctx.path,
      search: ctx.querystring,
      mount: mountOf(ctx.originalUrl, ctx.path),
      header: (name) => ctx.get(name) || undefined,
      secure: ctx.secure,
      form: () => readForm(ctx.req, (ctx.request as { body?: unknown }).body),
      larder: ctx.larder,
    });
    ctx.status = status;
    ctx.set(headers);
    ctx.body = body;
  };
}

/** Where koa-mount (once or nested) put us: the original path less the path we see. */
function mountOf(originalUrl: string, path: string): string {
  const query = originalUrl.indexOf('?');
  const full = query === -1 ? originalUrl : originalUrl.slice(0, query);
  if (path === '/' && !full.endsWith('/')) return full;
  return full.endsWith(path) ? full.slice(0, full.length - path.length) : '';
}
