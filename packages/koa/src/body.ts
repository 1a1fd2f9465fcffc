import { Stream, Transform, pipeline, type Readable } from 'node:stream';
import type { Capture } from '@larder/core/adapter';
import type { Context } from 'koa';

/** Statuses Koa answers without a body, whatever ctx.body holds. */
export const EMPTY = new Set([204, 205, 304]);

/** Koa's respond() serializes objects with JSON.stringify: the same bytes, as a Buffer, are sent and stored (the JSON Content-Type stays). */
export function settleBody(ctx: Context): void {
  const body: unknown = ctx.body;
  if (body === null || typeof body !== 'object' || Buffer.isBuffer(body) || isStream(body) || isWebBody(body)) return;
  ctx.body = Buffer.from(JSON.stringify(body));
}

/** Streams the body to the client untouched while copying its chunks; complete when the source ends. */
export function tee(ctx: Context, source: Readable, capture: Capture): void {
  const length = ctx.response.get('Content-Length');
  const copy = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      capture.chunk(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      capture.complete();
      callback();
    },
  });
  const gone = () => ctx.res.destroyed && !ctx.res.writableFinished;
  pipeline(source, copy, (error) => error && capture.finish(gone() ? { aborted: true } : { error }));
  ctx.res.once('close', () => capture.finish({ aborted: gone() }));
  ctx.body = copy;
  // Replacing a stream body makes Koa drop Content-Length; the handler's own one still describes these bytes.
  if (length) ctx.set('Content-Length', length);
}

/** Koa 3 streams these itself (Koa 2 serializes them as JSON); they are served as Koa would, not stored. */
export function isWebBody(body: unknown): boolean {
  return body instanceof Blob || body instanceof ReadableStream || body instanceof Response;
}

function isStream(body: object): boolean {
  return body instanceof Stream || (typeof (body as Readable).pipe === 'function' && typeof (body as Readable).read === 'function');
}
