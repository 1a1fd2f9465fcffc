/**
 * Freshness of a stored response as a shared cache computes it (RFC 9111 §4.2), decided once when the
 * response is stored and kept in the entry, so that a hit only adds the time it spent in the store.
 */
import { delta, joinLines, MAX_DELTA_SECONDS, parseCacheControl, parseTargeted, type Directives } from './directives.js';
import { parseHttpDate } from './http-date.js';

/** What the entry of `mode: 'http'` keeps about its freshness (all durations in milliseconds). */
export interface HttpFreshness {
  /** §4.2.3 corrected initial age: how old the response already was when it was stored. */
  initialAgeMs: number;
  /** §4.2.1 freshness lifetime. */
  lifetimeMs: number;
  /** Every use needs a successful revalidation first (`no-cache`). */
  noCache: boolean;
  /** Never served stale (`must-revalidate`, `proxy-revalidate`, `s-maxage`): stale-while-revalidate, stale-if-error and max-stale do not apply. */
  noStale: boolean;
  /** RFC 5861 windows past the lifetime; 0 when `noStale`. */
  swrMs: number;
  sieMs: number;
  /** Whether the response carries a validator (`ETag`, `Last-Modified`): a stale copy can be revalidated. */
  validators: boolean;
}

/** RFC 9110 §15.1: statuses a cache may give a heuristic lifetime without explicit freshness. */
export const HEURISTIC_STATUSES: ReadonlySet<number> = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]);

/** RFC 9111 §4.2.2: a tenth of the time since Last-Modified, the fraction caches commonly use. */
const HEURISTIC_FRACTION = 0.1;

export type HeaderLookup = (name: string) => string | string[] | undefined;

/** The directives a shared cache obeys: `CDN-Cache-Control` when it is present and valid (RFC 9213), else `Cache-Control`. */
export function responseDirectives(header: HeaderLookup): { directives: Directives; targeted: boolean } {
  const targeted = parseTargeted(header('cdn-cache-control'));
  if (targeted) return { directives: targeted, targeted: true };
  return { directives: parseCacheControl(header('cache-control')), targeted: false };
}

export interface Timing {
  /** When the request was sent to the handler, and when its response head came back (ms since the epoch). */
  requestTime: number;
  responseTime: number;
}

export interface FreshnessDefaults {
  /** `ttl`: the lifetime of a response that states none (0: none). */
  ttlMs: number;
  /** `staleWhileRevalidate` / `staleIfError` for responses that state none. */
  swrMs: number;
  sieMs: number;
}

/** Computes a response's freshness (RFC 9111 §4.2.1–§4.2.3, RFC 9213, RFC 5861) when it is stored. */
export function describeFreshness(status: number, header: HeaderLookup, timing: Timing, defaults: FreshnessDefaults): HttpFreshness {
  const { directives, targeted } = responseDirectives(header);
  const date = parseHttpDate(joinLines(header('date'))) ?? timing.responseTime;
  const validators = header('etag') !== undefined || parseHttpDate(header('last-modified')) !== undefined;
  const sMaxage = directives.get('s-maxage');
  const noStale = directives.has('must-revalidate') || directives.has('proxy-revalidate') || sMaxage !== undefined;
  const stated = (name: 'stale-while-revalidate' | 'stale-if-error', fallback: number) => {
    const seconds = delta(directives.get(name));
    return noStale ? 0 : seconds === undefined ? fallback : seconds * 1000;
  };
  return {
    initialAgeMs: correctedInitialAge(header('age'), date, timing),
    lifetimeMs: lifetime(status, header, directives, targeted, date, defaults.ttlMs),
    noCache: directives.has('no-cache'),
    noStale,
    swrMs: stated('stale-while-revalidate', defaults.swrMs),
    sieMs: stated('stale-if-error', defaults.sieMs),
    validators,
  };
}

/**
 * §4.2.1: s-maxage, then max-age, then Expires − Date (a targeted field replaces all three); a present
 * but invalid value means already stale. Without any: `ttl`, else the Last-Modified heuristic, both
 * only for statuses that may be cached heuristically (or a response that says `public`).
 */
function lifetime(status: number, header: HeaderLookup, directives: Directives, targeted: boolean, date: number, ttlMs: number): number {
  for (const name of ['s-maxage', 'max-age']) {
    if (directives.has(name)) return (delta(directives.get(name)) ?? 0) * 1000;
  }
  if (!targeted && header('expires') !== undefined) {
    const expires = parseHttpDate(header('expires'));
    return expires === undefined ? 0 : Math.max(0, expires - date);
  }
  if (!HEURISTIC_STATUSES.has(status) && !directives.has('public')) return 0;
  if (ttlMs > 0) return Math.min(ttlMs, MAX_DELTA_SECONDS * 1000);
  const lastModified = parseHttpDate(header('last-modified'));
  if (lastModified === undefined || lastModified >= date) return 0;
  return Math.floor((date - lastModified) * HEURISTIC_FRACTION);
}

/**
 * §4.2.3: the larger of the apparent age (response time − Date) and the upstream Age corrected by the
 * time the request took. `Age` is the first value of the first line; anything but digits is ignored (§5.1).
 */
function correctedInitialAge(age: string | string[] | undefined, date: number, timing: Timing): number {
  const first = joinLines(age)?.split(',')[0]?.trim();
  const ageValue = first !== undefined ? delta(first) : undefined;
  const apparent = Math.max(0, timing.responseTime - date);
  const corrected = (ageValue ?? 0) * 1000 + (timing.responseTime - timing.requestTime);
  return Math.max(apparent, corrected);
}

/** How long after it was stored the entry stays fresh (may be ≤ 0: stored already stale). */
export function freshForMs(freshness: HttpFreshness): number {
  return freshness.noCache ? 0 : freshness.lifetimeMs - freshness.initialAgeMs;
}
