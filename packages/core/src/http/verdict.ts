/**
 * What a read means for the request that made it: answer from the entry (fresh or stale), or run the
 * handler — plainly, or as a revalidation of the entry — keeping a stale entry for staleIfError.
 * `mode: 'route'` judges by the route's `ttl`; `mode: 'http'` by the response's own freshness and
 * the request's directives, as a shared cache does (RFC 9111 §4, RFC 5861).
 */
import type { Entry } from '../store/entry.js';
import type { LarderReason } from '../events.js';
import type { ReadResult } from '../larder.js';
import type { HttpFreshness } from './freshness.js';
import { requestDirectives } from './shared-cache.js';

export type Verdict =
  /** Fresh: replay it. */
  | { kind: 'hit'; entry: Entry; ageMs: number }
  /** Stale but allowed: replay it, and refresh it in the background when `refresh`. */
  | { kind: 'stale'; entry: Entry; ageMs: number; refresh: boolean; reason: LarderReason }
  /** `only-if-cached` and nothing usable: answer 504 without running the handler (RFC 9111 §5.2.1.7). */
  | { kind: 'unsatisfiable' }
  /**
   * Run the handler. `fallback` may be served instead of a failure until `fallbackUntil` (staleIfError);
   * `revalidate`: the entry whose validators the handler is asked with, and which a 304 refreshes.
   */
  | { kind: 'lead'; reason: LarderReason; fallback: Entry | undefined; fallbackUntil: number; revalidate: Entry | undefined };

/** `mode: 'route'`: fresh within `ttl`, then `staleWhileRevalidate` and `staleIfError` windows after it. */
export function judgeRoute(read: ReadResult, swrMs: number, sieMs: number, now: number, refresh: boolean): Verdict {
  if (!refresh && read.state === 'fresh') return { kind: 'hit', entry: read.entry, ageMs: read.ageMs };
  const stale = read.state === 'stale' || (refresh && read.state === 'fresh') ? read.entry : undefined;
  const freshUntil = stale?.header.freshUntil ?? null;
  if (!refresh && stale && freshUntil !== null && now < freshUntil + swrMs) {
    return { kind: 'stale', entry: stale, ageMs: now - stale.header.storedAt, refresh: true, reason: 'stale-while-revalidate' };
  }
  const reason = read.state === 'miss' ? read.reason : 'expired';
  return { kind: 'lead', reason, fallback: stale, fallbackUntil: freshUntil === null ? -Infinity : freshUntil + sieMs, revalidate: undefined };
}

/** The freshness an entry of `mode: 'http'` carries (undefined for an entry written in `mode: 'route'`). */
export function httpFreshness(entry: Entry): HttpFreshness | undefined {
  return (entry.header.meta as { http?: HttpFreshness } | undefined)?.http;
}

/**
 * `mode: 'http'`: fresh while its current age (§4.2.3) is below its lifetime and the request's
 * `max-age`/`min-fresh`/`no-cache` allow it; stale within the response's stale-while-revalidate or
 * the request's `max-stale` unless the response forbids stale use; else revalidated when it has a validator.
 */
export function judgeHttp(read: ReadResult, headers: Readonly<Record<string, string | string[] | undefined>>, now: number, refresh: boolean): Verdict {
  const request = requestDirectives(headers);
  const freshness = read.state === 'miss' ? undefined : httpFreshness(read.entry);
  if (read.state === 'miss' || freshness === undefined) {
    if (request.onlyIfCached && !refresh) return { kind: 'unsatisfiable' };
    return { kind: 'lead', reason: read.state === 'miss' ? read.reason : 'expired', fallback: undefined, fallbackUntil: -Infinity, revalidate: undefined };
  }
  const entry = read.entry;
  const ageMs = freshness.initialAgeMs + Math.max(0, now - entry.header.storedAt);
  const staleByMs = ageMs - freshness.lifetimeMs;
  const expiresAt = now - staleByMs;
  const lead = (reason: LarderReason): Verdict => ({
    kind: 'lead',
    reason,
    fallback: freshness.noStale ? undefined : entry,
    fallbackUntil: freshness.noStale ? -Infinity : expiresAt + freshness.sieMs,
    revalidate: freshness.validators ? entry : undefined,
  });
  if (refresh) return lead('expired');
  // max-age=0 is how clients ask for a revalidated answer, whatever the age.
  const asked = request.noCache || (request.maxAgeMs !== undefined && (request.maxAgeMs === 0 || ageMs > request.maxAgeMs)) || (request.minFreshMs !== undefined && -staleByMs < request.minFreshMs);
  if (!freshness.noCache && !asked && staleByMs < 0) return { kind: 'hit', entry, ageMs };
  if (!freshness.noCache && !freshness.noStale && !request.noCache && staleByMs >= 0) {
    if (request.maxStaleMs !== undefined && staleByMs <= request.maxStaleMs) return { kind: 'stale', entry, ageMs, refresh: false, reason: 'max-stale' };
    if (!asked && staleByMs < freshness.swrMs) return { kind: 'stale', entry, ageMs, refresh: true, reason: 'stale-while-revalidate' };
  }
  if (request.onlyIfCached) return { kind: 'unsatisfiable' };
  return lead(freshness.noCache ? 'no-cache' : asked ? 'request-directive' : 'expired');
}
