import type { Larder } from '@larder/core';
import { claimWrite, invalidateWrite, isWrite } from '@larder/core/adapter';
import type { Request, Response } from 'express';

/**
 * After a write (POST, PUT, DELETE, …) succeeds, drops the stored responses of its path and Location
 * (core/http/write-invalidation.ts). The response's end waits for it, so that a client which saw its
 * write answered never reads the old response again. `enabled: false` claims the write and does nothing.
 */
export function invalidateOnWrite(req: Request, res: Response, larder: Larder, enabled = true): void {
  if (!isWrite(req.method) || !claimWrite(req) || !enabled) return;
  const end = res.end;
  res.end = function (this: Response, ...args: unknown[]) {
    res.end = end;
    const pending = invalidateWrite(larder, req, {
      method: req.method,
      host: req.headers.host,
      url: req.originalUrl,
      status: this.statusCode,
      location: this.getHeader('location'),
      contentLocation: this.getHeader('content-location'),
    });
    if (!pending) return (end as (...a: unknown[]) => Response).apply(this, args);
    void pending.then(() => (end as (...a: unknown[]) => Response).apply(this, args));
    return this;
  } as Response['end'];
}
