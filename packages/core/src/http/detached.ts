import { IncomingMessage, ServerResponse, type IncomingHttpHeaders } from 'node:http';
import { Socket } from 'node:net';

/** Requests made by `detachedExchange` (a WeakSet: a missing symbol on every request is a slow lookup). */
const refreshes = new WeakSet<IncomingMessage>();

/**
 * A request/response pair no client waits for: staleWhileRevalidate re-runs a route with it for
 * the same URL and headers, minus the validators (a refresh must produce a full body).
 */
export function detachedExchange(url: string, headers: IncomingHttpHeaders): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = url;
  const { 'if-none-match': _a, 'if-modified-since': _b, range: _c, 'if-range': _d, ...rest } = headers;
  req.headers = rest;
  refreshes.add(req);
  req.push(null);
  const res = new ServerResponse(req);
  // A socketless response never drains: discarding the bytes keeps a piped body flowing to its end.
  res.write = (() => true) as ServerResponse['write'];
  return { req, res };
}

/** Whether this request is a detached refresh (it must run the handler, never read the cache). */
export function isRefresh(req: IncomingMessage): boolean {
  return refreshes.has(req);
}
