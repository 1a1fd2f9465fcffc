import type { ServerResponse } from 'node:http';
import { responseHeaders, type Capture } from './capture.js';
import type { ReplayPlan } from './replay.js';

/**
 * Copies a Node response on its way out for `capture`, never delaying it: `writeHead`, `write` and `end`
 * are wrapped until the response ends or closes, then put back, and `restore` runs (once) to put the
 * request back as it was. With staleIfError, a failed response's head is swapped for the stale one's
 * before its first byte. For adapters whose framework writes through Node's ServerResponse (Express;
 * Fastify or Hono's Node server would too).
 */
export function teeResponse(res: ServerResponse, capture: Capture, restore: () => void): void {
  capture.baseline(responseHeaders(res));
  const { writeHead, write, end } = res;
  let stale: ReplayPlan | undefined;

  let released = false;
  /** Puts the request and response back as they were; the guard's window closes. Idempotent. */
  const release = () => {
    if (released) return;
    released = true;
    if (res.writeHead !== writeHead) Object.assign(res, { writeHead, write, end });
    restore();
    capture.guard.stop();
  };
  let decided = false;
  /** Settles the head once, before the first byte: adds MISS headers, or swaps in a stale response. */
  const decideHead = (self: ServerResponse, status: number): void => {
    if (decided) return;
    decided = true;
    const verdict = capture.head(status, responseHeaders(self));
    if ('replace' in verdict) {
      // staleIfError: the handler failed; the stale response goes out instead of its 5xx.
      stale = verdict.replace;
      for (const name of self.getHeaderNames()) self.removeHeader(name);
      for (const [name, value] of stale.headers) self.setHeader(name, value);
      self.statusCode = stale.status;
    } else {
      for (const [name, value] of verdict.add) self.setHeader(name, value);
    }
  };
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    const headers = rest.find((arg) => typeof arg === 'object' && arg !== null);
    if (Array.isArray(headers)) for (let i = 0; i + 1 < headers.length; i += 2) this.setHeader(String(headers[i]), headers[i + 1]);
    else if (headers) for (const [name, value] of Object.entries(headers)) this.setHeader(name, value as string);
    decideHead(this, status);
    if (stale) return writeHead.call(this, stale.status);
    return typeof rest[0] === 'string' ? (writeHead as (s: number, r: string) => ServerResponse).call(this, status, rest[0]) : writeHead.call(this, status);
  } as ServerResponse['writeHead'];
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    if (!this.headersSent) decideHead(this, this.statusCode);
    if (stale) return true;
    if (chunk !== undefined && chunk !== null) capture.chunk(toBuffer(chunk, rest[0]));
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (!this.headersSent) decideHead(this, this.statusCode);
    if (stale) {
      const body = stale.body;
      release();
      capture.finish({});
      return (end as (...args: unknown[]) => ServerResponse).call(this, body, ...[chunk, ...rest].filter((arg) => typeof arg === 'function'));
    }
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') capture.chunk(toBuffer(chunk, rest[0]));
    const result = (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    release();
    capture.complete();
    return result;
  } as ServerResponse['end'];
  // Closed before the last byte was flushed: the client went away, and the copy may be partial.
  res.once('close', () => {
    release();
    capture.finish({ aborted: !res.writableFinished });
  });
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}
