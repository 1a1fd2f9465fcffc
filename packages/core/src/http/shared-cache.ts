/**
 * What `mode: 'http'` stores, and how: the rules of a shared cache (RFC 9111 §3), with Larder's own
 * safety defaults on top (Set-Cookie never stored, Authorization only when the key or the response allows it).
 */
import type { LarderReason } from '../events.js';
import { delta, joinLines, parseCacheControl } from './directives.js';
import { describeFreshness, HEURISTIC_STATUSES, responseDirectives, type HeaderLookup, type HttpFreshness, type Timing } from './freshness.js';
import type { RouteConfig } from './options.js';
import { varyNames } from './policy.js';
import type { StoredResponse } from './replay.js';

type Headers = ReadonlyArray<readonly [string, string | string[]]>;
type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** RFC 9110 §15: the statuses whose semantics Larder knows, for `must-understand` (RFC 9111 §5.2.2.3). */
const UNDERSTOOD = new Set([200, 201, 202, 203, 204, 205, 300, 301, 302, 303, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426, 500, 501, 502, 503, 504, 505]);

/**
 * Fields a cache never stores (RFC 9111 §3.1): hop-by-hop fields and those that describe one connection,
 * plus Larder's own per-answer fields (`Age` is recomputed from the entry on every use).
 */
const NOT_STORED = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'proxy-authenticate', 'proxy-authentication-info', 'proxy-authorization',
  'x-cache', 'age', 'server-timing', 'x-larder-reason', 'content-length',
]);

/** A case-insensitive view of a header list (first occurrence; arrays keep every line). */
export function lookup(headers: Headers): HeaderLookup {
  return (name) => {
    for (const [key, value] of headers) if (key.toLowerCase() === name) return value;
    return undefined;
  };
}

/** Why a response may not be stored by a shared cache, or undefined when it may. */
export function sharedCacheRefusal(
  config: RouteConfig,
  request: { headers: RequestHeaders },
  response: { status: number; headers: Headers; bodyBytes: number },
): LarderReason | undefined {
  const header = lookup(response.headers);
  if (header('set-cookie') !== undefined || header('set-cookie2') !== undefined) return 'set-cookie';
  if (varyNames(header('vary')).includes('*')) return 'vary-star';
  if (parseCacheControl(request.headers['cache-control']).has('no-store')) return 'request-no-store';
  const { directives, targeted } = responseDirectives(header);
  // must-understand: store only a status this cache understands, and then no-store does not apply.
  const mustUnderstand = directives.has('must-understand');
  if (!config.statuses.has(response.status) || (mustUnderstand && !UNDERSTOOD.has(response.status))) return 'status';
  if ((directives.has('no-store') && !mustUnderstand) || directives.has('private')) return 'cache-control-response';
  // §3.5: a response to an authenticated request is shared only when it says it may be.
  const allowsShared = directives.has('public') || directives.has('s-maxage') || directives.has('must-revalidate');
  if (request.headers.authorization !== undefined && !allowsShared && !config.key && !config.vary.includes('authorization')) return 'authorization';
  const explicit = directives.has('max-age') || directives.has('s-maxage') || (!targeted && header('expires') !== undefined);
  if (!explicit && !directives.has('public') && !HEURISTIC_STATUSES.has(response.status)) return 'no-freshness';
  if (response.bodyBytes > config.maxBodyBytes) return 'body-too-large';
  const declared = joinLines(header('content-length'));
  if (declared !== undefined && Number(declared) !== response.bodyBytes) return 'incomplete-body';
  return undefined;
}

/** The fields stored with a response: everything but what §3.1 excludes and what `Connection` names. */
function sharedCacheHeaders(headers: Headers, responseTime: number): Array<[string, string | string[]]> {
  const connection = new Set(varyNames(lookup(headers)('connection')));
  const kept: Array<[string, string | string[]]> = [];
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (!NOT_STORED.has(lower) && !connection.has(lower)) kept.push([name, value]);
  }
  // RFC 9110 §6.6.1: a cache that receives a response without Date adds one (the time it was received).
  if (!kept.some(([name]) => name.toLowerCase() === 'date')) kept.push(['Date', new Date(responseTime).toUTCString()]);
  return kept;
}

/**
 * How long a stale entry stays in the store beyond its stale windows: long enough to be revalidated
 * (a 304 costs the origin less than a full answer) or served to a request's `max-stale`.
 */
const KEEP_STALE_MS = 24 * 60 * 60 * 1000;

/**
 * How a response is stored: its fields (§3.1), its freshness, decided now (§4.2), and how long the entry
 * is fresh and kept. Undefined when no later request could use it. `headers` are the fields received:
 * freshness reads them all (Age included, which is not stored but recomputed on every use).
 */
export function sharedCacheStored(
  status: number,
  headers: Headers,
  timing: Timing & { storeTime: number },
  config: RouteConfig,
): { meta: StoredResponse; freshForMs: number; staleForMs: number } | undefined {
  const entry = sharedCacheEntry(status, headers, timing, config);
  if (!entry) return undefined;
  // Age counts from the write, which comes after the last byte: the time since the head is age too.
  const http = { ...entry.freshness, initialAgeMs: entry.freshness.initialAgeMs + Math.max(0, timing.storeTime - timing.responseTime) };
  return { meta: { status, headers: sharedCacheHeaders(headers, timing.responseTime), http }, freshForMs: entry.freshForMs, staleForMs: entry.staleForMs };
}

/** The entry's freshness, its store lifetime, and whether it is worth storing at all. */
function sharedCacheEntry(status: number, headers: Headers, timing: Timing, config: RouteConfig): { freshness: HttpFreshness; freshForMs: number; staleForMs: number } | undefined {
  const freshness = describeFreshness(status, lookup(headers), timing, { ttlMs: config.ttlMs, swrMs: config.swrMs, sieMs: config.sieMs });
  const freshFor = freshness.noCache ? 0 : freshness.lifetimeMs - freshness.initialAgeMs;
  const staleFor = Math.max(freshness.swrMs, freshness.sieMs, freshness.validators || freshFor > 0 ? KEEP_STALE_MS : 0);
  // Never fresh and never revalidatable: no later request could use it.
  if (freshFor <= 0 && !freshness.validators && freshness.swrMs === 0 && freshness.sieMs === 0) return undefined;
  return { freshness, freshForMs: freshFor, staleForMs: Math.max(staleFor, 1) };
}

/** Request directives a shared cache honours when it answers (RFC 9111 §5.2.1; `Pragma: no-cache` §5.4). */
export interface RequestDirectives {
  noCache: boolean;
  maxAgeMs: number | undefined;
  minFreshMs: number | undefined;
  /** `max-stale`: Infinity without a value. */
  maxStaleMs: number | undefined;
  onlyIfCached: boolean;
}

export function requestDirectives(headers: RequestHeaders): RequestDirectives {
  const cc = headers['cache-control'];
  const directives = parseCacheControl(cc);
  const pragma = cc === undefined && /(?:^|,)\s*no-cache\s*(?:,|$)/i.test(joinLines(headers.pragma) ?? '');
  const seconds = (name: string) => {
    const value = delta(directives.get(name));
    return value === undefined ? undefined : value * 1000;
  };
  const maxStale = directives.get('max-stale');
  return {
    noCache: directives.has('no-cache') || pragma,
    maxAgeMs: seconds('max-age'),
    minFreshMs: seconds('min-fresh'),
    maxStaleMs: maxStale === undefined ? undefined : maxStale === true ? Infinity : seconds('max-stale'),
    onlyIfCached: directives.has('only-if-cached'),
  };
}
