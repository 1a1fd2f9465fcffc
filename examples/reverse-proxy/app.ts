/**
 * A caching reverse proxy for any origin: Express, Larder's `cached()` as a shared HTTP cache
 * (RFC 9111) in front of everything, and a forwarder. `unkeyed: '*'`: the origin is trusted to say
 * with `Vary` which request headers its answers depend on. `shareAuthenticated`: responses to requests
 * with `Authorization` are stored only when they say so (`public`, `s-maxage`, `must-revalidate`).
 * Writes (POST, PUT, DELETE, …) that succeed drop what was stored for their URL and its Location.
 */
import express from 'express';
import { cached, type Larder } from '@larder/express';
import { forward } from './forward.js';

export function createProxy({ origin, larder }: { origin: string; larder: Larder }): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(cached({ mode: 'http', unkeyed: '*', shareAuthenticated: true, larder }));
  app.use(forward(origin));
  return app;
}
