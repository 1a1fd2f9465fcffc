/**
 * Revalidation (RFC 9111 §4.3): the handler runs again with the stored response's validators, and a
 * `304 Not Modified` refreshes the stored response instead of replacing it. The conditional request
 * and the choice of whether a 304 applies to the stored response (§4.3.1, §4.3.4) come from
 * http-cache-semantics; how the stored header fields are updated (§3.2) is decided here, because the
 * library only replaces fields the stored response already had.
 */
import type { IncomingHttpHeaders } from 'node:http';
import CachePolicy from 'http-cache-semantics';
import type { Entry } from '../store/entry.js';
import { varyNames } from './policy.js';
import type { StoredResponse } from './replay.js';
import { lookup } from './shared-cache.js';

type Headers = ReadonlyArray<readonly [string, string | string[]]>;
interface RequestLike {
  method: string;
  url: string | undefined;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * The request headers a revalidation runs the handler with: the client's, with the stored validators
 * as `If-None-Match` (joined to the client's own) and `If-Modified-Since`.
 */
export function revalidationHeaders(entry: Entry, request: RequestLike): IncomingHttpHeaders {
  const policyRequest = asPolicyRequest(request);
  const conditional = policyFor(entry, policyRequest).revalidationHeaders(policyRequest);
  const headers: IncomingHttpHeaders = { ...request.headers };
  delete headers['if-none-match'];
  delete headers['if-modified-since'];
  for (const name of ['if-none-match', 'if-modified-since'] as const) {
    const value = conditional[name];
    if (value) headers[name] = String(value);
  }
  return headers;
}

/** Whether a 304 is about the stored response (§4.3.4: same strong validator, or weak, or Last-Modified). */
export function notModifiedMatches(entry: Entry, request: RequestLike, notModified: Headers): boolean {
  const policyRequest = asPolicyRequest(request);
  return policyFor(entry, policyRequest).revalidatedPolicy(policyRequest, { status: 304, headers: flatten(notModified) }).matches;
}

/** Fields a 304 never changes in the stored response: the stored body's length (§3.2), and what is not stored at all. */
const KEPT = new Set(['content-length', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'x-cache', 'server-timing', 'x-larder-reason']);

/**
 * §3.2: the stored header fields updated with the 304's: each field it carries replaces the stored
 * one (or is added), except Content-Length and the fields a cache does not store. A 304 without Date
 * is dated when it was received (`responseTime`): Node adds Date only as it writes a response.
 */
export function mergeNotModified(stored: StoredResponse, received: Headers, responseTime: number): Array<[string, string | string[]]> {
  const dated = received.some(([name]) => name.toLowerCase() === 'date');
  const notModified: Headers = dated ? received : [...received, ['Date', new Date(responseTime).toUTCString()]];
  const connection = new Set(varyNames(lookup(notModified)('connection')));
  const updates = notModified.filter(([name]) => !KEPT.has(name.toLowerCase()) && !connection.has(name.toLowerCase()));
  const updated = new Set(updates.map(([name]) => name.toLowerCase()));
  const merged: Array<[string, string | string[]]> = stored.headers.filter(([name]) => !updated.has(name.toLowerCase()));
  for (const [name, value] of updates) merged.push([name, value]);
  return merged;
}

/**
 * The policy is given only what revalidation is about — the status and the validators — so that
 * its own reading of Cache-Control (which differs from §5.2 on quoted and repeated directives) never
 * decides whether a stored response gets a conditional request.
 */
function policyFor(entry: Entry, request: CachePolicy.Request): CachePolicy {
  const stored = entry.header.meta as StoredResponse;
  const header = lookup(stored.headers);
  const headers: CachePolicy.Headers = { 'cache-control': 'max-age=0' };
  for (const name of ['etag', 'last-modified', 'vary']) {
    const value = header(name);
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return new CachePolicy(request, { status: stored.status, headers }, { shared: true });
}

/** The request as the policy reads it; its Authorization never matters here (storing was decided already). */
function asPolicyRequest(request: RequestLike): CachePolicy.Request {
  const headers: CachePolicy.Headers = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && name !== 'authorization') headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { method: request.method, url: request.url ?? '/', headers };
}

function flatten(headers: Headers): CachePolicy.Headers {
  const flat: CachePolicy.Headers = {};
  for (const [name, value] of headers) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}
