/**
 * Forwards a request to an origin and streams its answer back, as a reverse proxy must (RFC 9110
 * §7.6): hop-by-hop fields dropped both ways (and those `Connection` names), `Via` added, bodies
 * streamed, `102 Processing` and `103 Early Hints` relayed. Any method, any path.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Request, RequestHandler, Response } from 'express';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'expect']);
const VIA = 'larder';

export function forward(origin: string): RequestHandler {
  const target = new URL(origin);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return function forward(req: Request, res: Response): void {
    // req.headers, not rawHeaders: on a revalidation Larder has put the stored validators there.
    const headers: OutgoingHttpHeaders = endToEnd(req.headers);
    headers.host = target.host;
    headers.via = appendVia(req.headers.via, req.httpVersion);
    const upstream = send({ protocol: target.protocol, hostname: target.hostname, port: target.port, path: upstreamPath(req.originalUrl, target), method: req.method, headers });
    upstream.on('information', (info) => {
      if (info.statusCode === 102) res.writeProcessing();
      else if (info.statusCode === 103) res.writeEarlyHints(endToEnd(info.headers) as Record<string, string | string[]>);
    });
    let received: IncomingMessage | undefined;
    upstream.on('response', (answer: IncomingMessage) => {
      received = answer;
      for (const [name, value] of Object.entries(rawPairs(answer))) res.setHeader(name, value);
      res.setHeader('Via', appendVia(answer.headers.via, answer.httpVersion));
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage);
      answer.pipe(res);
      // The origin closed before the end of its body: so does the answer (a cache stores no partial body).
      answer.on('close', () => {
        if (!answer.complete) res.destroy();
      });
    });
    upstream.on('error', () => {
      // Bytes after a complete message (a Content-Length shorter than the body) end that connection, not this answer.
      if (received?.complete) return;
      if (res.headersSent) res.destroy();
      else res.status(502).type('text/plain').end('Bad Gateway');
    });
    // The client went away: stop asking the origin (a finished exchange keeps its connection for reuse).
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };
}

/**
 * The origin's base path, then the request target as received. An absolute-form target
 * (`GET http://elsewhere/x`) is sent to the origin too, never to the host it names.
 */
function upstreamPath(original: string, target: URL): string {
  const base = target.pathname.replace(/\/$/, '');
  if (original.startsWith('/')) return base + original;
  try {
    const absolute = new URL(original);
    return base + absolute.pathname + absolute.search;
  } catch {
    return `${base}/`;
  }
}

/** The fields a proxy passes on: none that are hop-by-hop or that `Connection` names. */
function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((token) => token.trim()));
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name)) kept[name] = value;
  return kept;
}

/** An origin's response fields in their own case and every line of each (two `Age` lines stay two). */
function rawPairs(answer: IncomingMessage): Record<string, string | string[]> {
  const lines: Record<string, string[]> = {};
  const names: Record<string, string> = {};
  for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) {
    const name = answer.rawHeaders[i]!;
    const lower = name.toLowerCase();
    names[lower] ??= name;
    (lines[lower] ??= []).push(answer.rawHeaders[i + 1]!);
  }
  const kept = endToEnd(Object.fromEntries(Object.entries(lines).map(([lower, values]) => [lower, values.join(', ')])));
  return Object.fromEntries(Object.keys(kept).map((lower) => [names[lower]!, lines[lower]!.length === 1 ? lines[lower]![0]! : lines[lower]!]));
}

function appendVia(previous: string | string[] | undefined, httpVersion: string): string {
  const own = `${httpVersion} ${VIA}`;
  return previous ? `${String(previous)}, ${own}` : own;
}
